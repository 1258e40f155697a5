using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using SmtpServer;
using SmtpServer.ComponentModel;
using SmtpServer.IO;
using SmtpServer.Net;
using SmtpServer.Protocol;
using SmtpServer.Storage;

namespace Accountability.Bench;

/// <summary>
/// The SMTP relay under load: a real SMTP server (the SmtpServer library) in the bench's own process, on loopback, that
/// accepts every message, counts it and keeps nothing. It offers PIPELINING, as a department's relay does, so MailKit sends
/// a message in one round trip after DATA, not four; the Python relay the tests use offers none and, on one thread,
/// accepted about 140 messages a second here, which bounded the notified stage in the burst (docs/bench.md, tenth round).
/// Its connections send without Nagle's delay (<see cref="NoDelayListenerFactory"/>): with it, every mail waited about 40 ms.
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
        services.Add((IEndpointListenerFactory)new NoDelayListenerFactory());
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

    /// <summary>
    /// Listens as the library's own factory does, but accepts connections with TCP_NODELAY. The library's sockets keep Nagle's
    /// algorithm on, so of the replies it writes for one pipelined batch of commands, a later one waited for the client to
    /// acknowledge the first, and Linux delays that acknowledgement by about 40 ms: every mail took 44 ms on loopback,
    /// against under a millisecond with this (docs/bench.md, twenty-ninth round). A relay that answers in 40 ms bounds
    /// notification at its sends in flight divided by 40 ms, which is what the bench measured instead of notification.
    /// </summary>
    private sealed class NoDelayListenerFactory : IEndpointListenerFactory
    {
        public IEndpointListener CreateListener(IEndpointDefinition endpointDefinition)
        {
            var listener = new TcpListener(endpointDefinition.Endpoint);
            listener.Start();
            return new Listener(listener);
        }
    }

    private sealed class Listener(TcpListener listener) : IEndpointListener
    {
        public async Task<ISecurableDuplexPipe> GetPipeAsync(ISessionContext context, CancellationToken cancellationToken)
        {
            var socket = await listener.AcceptSocketAsync(cancellationToken);
            socket.NoDelay = true;
            context.Properties.Add(EndpointListener.LocalEndPointKey, listener.LocalEndpoint);
            context.Properties.Add(EndpointListener.RemoteEndPointKey, socket.RemoteEndPoint!);
            return new PlainPipe(new NetworkStream(socket, ownsSocket: true));
        }

        public void Dispose() => listener.Stop();
    }

    /// <summary>A connection without TLS: the bench's sink offers no STARTTLS, so nothing asks to upgrade it.</summary>
    private sealed class PlainPipe(NetworkStream stream) : ISecurableDuplexPipe
    {
        public PipeReader Input { get; } = PipeReader.Create(stream);

        public PipeWriter Output { get; } = PipeWriter.Create(stream);

        public bool IsSecure => false;

        public SslProtocols SslProtocol => SslProtocols.None;

        public Task UpgradeAsync(X509Certificate certificate, SslProtocols protocols, CancellationToken cancellationToken) =>
            throw new NotSupportedException("The bench's SMTP sink offers no TLS.");

        public void Dispose() => stream.Dispose();
    }
}
