using Accountability.Messaging.Bus;
using Xunit;

namespace Accountability.Messaging.Tests;

/// <summary>RabbitMq:ClusterNodes as the services read it at start (RabbitMqOptions.Validate runs on start).</summary>
public sealed class ClusterNodesSettingTests
{
    [Fact]
    public void Without_cluster_nodes_the_service_connects_to_the_host_of_the_uri_alone()
    {
        var options = new RabbitMqOptions { Uri = "amqp://u:p@broker.example:5673/vh" };

        Assert.Equal([("broker.example", (ushort)5673)], options.Nodes());
    }

    [Fact]
    public void Cluster_nodes_are_taken_in_order_and_a_node_without_a_port_gets_the_port_of_the_uri()
    {
        var options = new RabbitMqOptions
        {
            Uri = "amqp://u:p@ignored.example:5673/vh",
            ClusterNodes = "rabbit-1:5672, rabbit-2 ,10.0.0.3:5674,[::1]:5675",
        };

        options.Validate();
        Assert.Equal(
            [("rabbit-1", (ushort)5672), ("rabbit-2", (ushort)5673), ("10.0.0.3", (ushort)5674), ("::1", (ushort)5675)],
            options.Nodes());
    }

    [Theory]
    [InlineData("rabbit-1:5672,,rabbit-3:5672", "''", "stray comma")]
    [InlineData("rabbit-1:5672,amqp://rabbit-2:5672", "'amqp://rabbit-2:5672'", "no scheme")]
    [InlineData("rabbit-1:5672,rabbit-2:56x2", "'rabbit-2:56x2'", "port")]
    [InlineData("rabbit-1:99999", "'rabbit-1:99999'", "port")]
    [InlineData("rabbit 1:5672", "'rabbit 1:5672'", "host name")]
    [InlineData("rabbit-1:5672,rabbit-1:5672", "'rabbit-1:5672'", "twice")]
    public void A_bad_cluster_node_stops_the_start_with_an_error_that_names_the_entry(string nodes, string named, string why)
    {
        var options = new RabbitMqOptions { ClusterNodes = nodes };

        var error = Assert.Throws<InvalidOperationException>(options.Validate);
        Assert.Contains("RabbitMq:ClusterNodes", error.Message);
        Assert.Contains(named, error.Message);
        Assert.Contains(why, error.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(601)]
    public void A_heartbeat_outside_one_second_to_ten_minutes_stops_the_start_with_an_error_that_names_the_setting(int seconds)
    {
        var options = new RabbitMqOptions { HeartbeatSeconds = seconds };

        var error = Assert.Throws<InvalidOperationException>(options.Validate);
        Assert.Contains("RabbitMq:HeartbeatSeconds", error.Message);
        Assert.Contains(seconds.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message);
    }
}
