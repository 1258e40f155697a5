using Accountability.Messaging.Bus;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Xunit;

namespace Accountability.Messaging.Tests;

/// <summary>What the consumers' outage retry (and the migrations' wait) treat as the infrastructure being away.</summary>
public sealed class TransientFailureTests
{
    [Theory]
    // Npgsql's words when, during a failover, every host of a multi-host connection string is down or read-only.
    [InlineData("No suitable host was found.")]
    [InlineData("Unable to connect to a suitable host. Check inner exception for more details.")]
    public void A_multi_host_connection_string_finding_no_primary_is_transient(string message) =>
        Assert.True(TransientFailures.IsTransient(new NpgsqlException(message)));

    [Theory]
    [InlineData("25006")] // read_only_sql_transaction: a session on a node that is a standby
    [InlineData("08006")] // connection_failure
    [InlineData("57P01")] // admin_shutdown
    public void A_server_that_is_away_or_read_only_is_transient(string sqlState) =>
        Assert.True(TransientFailures.IsTransient(new PostgresException("failover", "ERROR", "ERROR", sqlState)));

    [Theory]
    [InlineData("23505")] // unique_violation: the message's own problem
    [InlineData("22P02")] // invalid_text_representation
    public void A_failure_of_the_message_itself_is_not_transient(string sqlState) =>
        Assert.False(TransientFailures.IsTransient(new PostgresException("bad", "ERROR", "ERROR", sqlState)));

    [Fact]
    public void A_message_handed_out_after_the_host_disposed_its_services_is_held_for_another_instance_not_sent_to_error()
    {
        // What the consumer's scope throws once the host has disposed the root provider.
        var services = new ServiceCollection().BuildServiceProvider();
        services.Dispose();
        var thrown = Assert.Throws<ObjectDisposedException>(() => { services.CreateScope(); });
        Assert.True(TransientFailures.IsTransient(thrown));
        Assert.False(TransientFailures.IsTransient(new ObjectDisposedException("a consumer's own stream")));
    }

    [Fact]
    public void Another_client_side_error_is_not_transient() =>
        Assert.False(TransientFailures.IsTransient(new NpgsqlException("Something else went wrong.")));
}
