using System.Buffers;
using System.Net;
using SmtpServer;
using SmtpServer.ComponentModel;
using SmtpServer.Protocol;
using SmtpServer.Storage;

namespace Accountability.Bench;

/// <summary>
/// The SMTP relay under load: a real SMTP server (the SmtpServer library) in the bench's own process, on loopback, that
/// accepts every message, counts it and keeps nothing. It offers PIPELINING, as a department's relay does, so MailKit sends
/// a message in one round trip after DATA, not four; the Python relay the tests use offers none and, on one thread,
/// accepted about 140 messages a second here, which bounded the notified stage in the burst (docs/bench.md, tenth round).
/// </summary>
public sealed class SmtpSink : IAsyncDisposable
{
    private readonly CancellationTokenSource stop;
    private readonly Task running;
    private readonly CountingStore store;

    private SmtpSink(int port, CountingStore store, CancellationTokenSource stop, Task running)
    {
        Port = port;
        this.store = store;
        this.stop = stop;
        this.running = running;
    }

    public int Port { get; }

    public long Messages => store.Messages;

    /// <summary>Connections the relay accepted: against the messages, it tells whether notification keeps its connections open. The start's readiness probe is one of them.</summary>
    public long Sessions => Interlocked.Read(ref sessions);

    private long sessions;

    public static async Task<SmtpSink> StartAsync()
    {
        var port = ServiceHost.FreePort();
        var options = new SmtpServerOptionsBuilder()
            .ServerName("bench-sink")
            .Endpoint(endpoint => endpoint.Endpoint(new IPEndPoint(IPAddress.Loopback, port)))
            .Build();
        var store = new CountingStore();
        var services = new SmtpServer.ComponentModel.ServiceProvider();
        services.Add(store);
        var server = new SmtpServer.SmtpServer(options, services);
        var stop = new CancellationTokenSource();
        var running = server.StartAsync(stop.Token);
        var sink = new SmtpSink(port, store, stop, running);
        server.SessionCreated += (_, _) => Interlocked.Increment(ref sink.sessions);
        // Ready once it accepts a connection.
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                using var probe = new System.Net.Sockets.TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port);
                return sink;
            }
            catch (System.Net.Sockets.SocketException) when (attempt < 100)
            {
                if (running.IsFaulted)
                    throw new BenchException($"the SMTP sink did not start: {running.Exception!.GetBaseException().Message}");
                await Task.Delay(100);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        try
        {
            await running.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception exception) when (exception is OperationCanceledException or TimeoutException)
        {
            // stopped, or left to the process's end
        }
        stop.Dispose();
    }

    private sealed class CountingStore : MessageStore
    {
        private long messages;

        public long Messages => Interlocked.Read(ref messages);

        public override Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref messages);
            return Task.FromResult(SmtpResponse.Ok);
        }
    }
}
