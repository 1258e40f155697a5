using System.Diagnostics;
using Dapper;
using Npgsql;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Accountability.Bench;

/// <summary>What the bare libraries do on this machine, against the same servers the services use.</summary>
public static class Baselines
{
    private const string Queue = "bench.baseline";

    /// <summary>
    /// RabbitMQ.Client alone: one connection publishes 1 KB persistent messages to a durable
    /// queue with publisher confirms (at most 256 awaiting their confirm), another consumes them with
    /// manual acks (prefetch 256). Messages per second from the first publish to the last ack.
    /// </summary>
    public static async Task<double> RabbitMqAsync(Uri uri, int messages)
    {
        var factory = new ConnectionFactory { Uri = uri, ClientProvidedName = "bench-baseline" };
        await using var publisherConnection = await factory.CreateConnectionAsync();
        await using var consumerConnection = await factory.CreateConnectionAsync();
        await using var publisher = await publisherConnection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        await using var consumerChannel = await consumerConnection.CreateChannelAsync();
        await publisher.QueueDeclareAsync(Queue, durable: true, exclusive: false, autoDelete: false);
        await publisher.QueuePurgeAsync(Queue);
        await consumerChannel.BasicQosAsync(0, 256, false);

        var received = 0;
        var allReceived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var consumer = new AsyncEventingBasicConsumer(consumerChannel);
        consumer.ReceivedAsync += async (_, delivery) =>
        {
            await consumerChannel.BasicAckAsync(delivery.DeliveryTag, multiple: false);
            if (Interlocked.Increment(ref received) == messages)
                allReceived.TrySetResult();
        };
        var tag = await consumerChannel.BasicConsumeAsync(Queue, autoAck: false, consumer);

        var body = new byte[1024];
        Random.Shared.NextBytes(body);
        var properties = new BasicProperties { Persistent = true, ContentType = "application/octet-stream" };
        var clock = Stopwatch.StartNew();
        const int window = 256;
        var inFlight = new List<Task>(window);
        for (var i = 0; i < messages; i++)
        {
            inFlight.Add(publisher.BasicPublishAsync("", Queue, mandatory: true, properties, body).AsTask());
            if (inFlight.Count == window)
            {
                await Task.WhenAll(inFlight);
                inFlight.Clear();
            }
        }
        await Task.WhenAll(inFlight);
        await allReceived.Task.WaitAsync(TimeSpan.FromMinutes(5));
        clock.Stop();
        await consumerChannel.BasicCancelAsync(tag);
        await publisher.QueueDeleteAsync(Queue);
        return messages / clock.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// Npgsql alone: 8 connections, each running one transaction per case that inserts a case row and
    /// an outbox row (the shape of intake's filing), for a fixed time. Transactions per second.
    /// </summary>
    public static async Task<double> NpgsqlAsync(string connectionString, TimeSpan duration)
    {
        const int connections = 8;
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { SearchPath = "bench_baseline", MaxPoolSize = connections + 2 };
        await using var dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
        await using (var setup = await dataSource.OpenConnectionAsync())
        {
            await setup.ExecuteAsync("""
                drop schema if exists bench_baseline cascade;
                create schema bench_baseline;
                create table bench_baseline.cases (
                    case_id uuid primary key, tracking_code text not null unique, category text not null,
                    narrative text not null, status text not null, received_at timestamptz not null);
                create table bench_baseline.outbox (
                    seq bigserial primary key, message_id uuid not null unique, message_type text not null,
                    body jsonb not null, headers jsonb not null, created_at timestamptz not null default now(),
                    published_at timestamptz);
                """);
        }

        var committed = 0L;
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, connections).Select(async _ =>
        {
            await using var connection = await dataSource.OpenConnectionAsync();
            while (clock.Elapsed < duration)
            {
                await using var transaction = await connection.BeginTransactionAsync();
                var caseId = Guid.CreateVersion7();
                await using (var insertCase = new NpgsqlCommand(
                    "insert into cases (case_id, tracking_code, category, narrative, status, received_at) values (@id, @code, 'force', @narrative, 'received', now())",
                    connection, transaction))
                {
                    insertCase.Parameters.AddWithValue("id", caseId);
                    insertCase.Parameters.AddWithValue("code", caseId.ToString("N"));
                    insertCase.Parameters.AddWithValue("narrative", "Pushed to the ground outside the library.");
                    await insertCase.ExecuteNonQueryAsync();
                }
                await using (var insertOutbox = new NpgsqlCommand(
                    "insert into outbox (message_id, message_type, body, headers) values (@id, 'ComplaintReceived', @body::jsonb, '{}'::jsonb)",
                    connection, transaction))
                {
                    insertOutbox.Parameters.AddWithValue("id", Guid.CreateVersion7());
                    insertOutbox.Parameters.AddWithValue("body", $$"""{"caseId":"{{caseId}}","category":"force","district":"2"}""");
                    await insertOutbox.ExecuteNonQueryAsync();
                }
                await transaction.CommitAsync();
                Interlocked.Increment(ref committed);
            }
        }).ToList();
        await Task.WhenAll(workers);
        clock.Stop();
        await using (var cleanup = await dataSource.OpenConnectionAsync())
            await cleanup.ExecuteAsync("drop schema bench_baseline cascade");
        return committed / clock.Elapsed.TotalSeconds;
    }
}
