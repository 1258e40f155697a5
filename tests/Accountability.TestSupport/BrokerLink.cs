using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace Accountability.TestSupport;

/// <summary>
/// A loopback TCP relay in front of the real RabbitMQ that one test can cut, for broker-outage tests.
/// <para>
/// Every test assembly of `make test` runs at the same time against the same broker, so stopping the
/// broker itself (rabbitmqctl stop_app) also broke whichever other assembly was running: its services
/// lost their connections and its fixtures could not reach the management API. Cutting this link
/// gives the hosts behind it the same outage (open connections are reset, new ones refused) and leaves
/// the broker up for everyone else. Real broker restarts are exercised by `make chaos`.
/// </para>
/// </summary>
public sealed class BrokerLink : IAsyncDisposable
{
    private readonly IPEndPoint broker;
    private readonly ConcurrentDictionary<Socket, byte> open = new();
    private readonly ConcurrentDictionary<Socket, Frozen> relayed = new();
    private readonly CancellationTokenSource disposed = new();
    private readonly Lock gate = new();
    private Socket? listener;
    private Task accepting = Task.CompletedTask;

    private BrokerLink(IPEndPoint broker, int port)
    {
        this.broker = broker;
        Port = port;
    }

    /// <summary>The loopback port the link listens on; it stays the same across <see cref="Cut"/> and <see cref="Restore"/>.</summary>
    public int Port { get; }

    /// <summary>The broker URI (same user and virtual host) through this link, for RabbitMq__Uri.</summary>
    public string AmqpUri => Through(TestEnvironment.RabbitMqUri);

    /// <summary>Another URI of the same broker (another virtual host, say) through this link.</summary>
    public string Through(string amqpUri) => new UriBuilder(amqpUri) { Host = "127.0.0.1", Port = Port }.Uri.ToString();

    public bool IsCut { get; private set; }

    private long latencyMilliseconds;

    /// <summary>
    /// How long every chunk is held, each way, before it is passed on (zero: at once). It may be set while
    /// connections are open: a broker that turns slow (loaded, or busy after a node's loss) without failing.
    /// </summary>
    public TimeSpan Latency
    {
        get => TimeSpan.FromMilliseconds(Interlocked.Read(ref latencyMilliseconds));
        set => Interlocked.Exchange(ref latencyMilliseconds, (long)value.TotalMilliseconds);
    }

    public static BrokerLink Start()
    {
        var target = new Uri(TestEnvironment.RabbitMqUri);
        var address = target.Host is "localhost" ? IPAddress.Loopback : IPAddress.Parse(target.Host);
        var broker = new IPEndPoint(address, target.IsDefaultPort || target.Port < 0 ? 5672 : target.Port);

        var first = Listen(0);
        var link = new BrokerLink(broker, ((IPEndPoint)first.LocalEndPoint!).Port);
        link.Accept(first);
        return link;
    }

    /// <summary>The outage begins: every relayed connection is reset and the port refuses new ones.</summary>
    public void Cut()
    {
        lock (gate)
        {
            if (IsCut)
                return;
            IsCut = true;
            listener?.Dispose();
            listener = null;
        }
        foreach (var socket in open.Keys)
            Reset(socket);
    }

    /// <summary>
    /// The connections open now go silent both ways without closing, as when a broker node's machine is gone
    /// without a word (a killed container, a black-holed path): the client's writes fill its socket buffers and
    /// then block, and only missed heartbeats tell it. New connections pass as before, as to a surviving node.
    /// </summary>
    public void Freeze()
    {
        foreach (var connection in relayed.Values)
            connection.IsFrozen = true;
    }

    /// <summary>The outage ends: the same port accepts connections again.</summary>
    public void Restore()
    {
        lock (gate)
        {
            if (!IsCut)
                return;
            var socket = Listen(Port);
            IsCut = false;
            Accept(socket);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await disposed.CancelAsync();
        Cut();
        await accepting;
        disposed.Dispose();
    }

    private static Socket Listen(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        // The connections just reset leave the port in TIME_WAIT; the listener must come back on it at once.
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
        socket.Listen(128);
        return socket;
    }

    private void Accept(Socket socket)
    {
        listener = socket;
        accepting = AcceptLoopAsync(socket);
    }

    private async Task AcceptLoopAsync(Socket socket)
    {
        while (!disposed.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await socket.AcceptAsync(disposed.Token);
            }
            catch (Exception exception) when (exception is ObjectDisposedException or SocketException or OperationCanceledException)
            {
                return; // cut or disposed
            }
            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(Socket client)
    {
        var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        open[client] = 0;
        open[upstream] = 0;
        try
        {
            await upstream.ConnectAsync(broker, disposed.Token);
            if (IsCut)
                return;
            await using var fromClient = new NetworkStream(client, ownsSocket: false);
            await using var toBroker = new NetworkStream(upstream, ownsSocket: false);
            var frozen = relayed[client] = new Frozen();
            // Whichever side ends first ends both, as a broken network path would.
            await Task.WhenAny(CopyAsync(fromClient, toBroker, frozen), CopyAsync(toBroker, fromClient, frozen));
        }
        catch (Exception exception) when (exception is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The outage or the end of the test: both sockets are closed below.
        }
        finally
        {
            relayed.TryRemove(client, out _);
            Reset(client);
            Reset(upstream);
        }
    }

    private sealed class Frozen
    {
        public volatile bool IsFrozen;
    }

    /// <summary>Passes on what <paramref name="from"/> sends, in order, each chunk <see cref="Latency"/> after it arrived.</summary>
    private async Task CopyAsync(Stream from, Stream to, Frozen frozen)
    {
        var pending = Channel.CreateUnbounded<(long Due, byte[] Bytes)>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var forwarding = ForwardAsync(pending.Reader, to, frozen);
        try
        {
            var buffer = new byte[16 * 1024];
            int read;
            while (!frozen.IsFrozen && (read = await from.ReadAsync(buffer, disposed.Token)) > 0)
                pending.Writer.TryWrite((Environment.TickCount64 + Interlocked.Read(ref latencyMilliseconds), buffer[..read]));
            // Frozen: read nothing more, so the sender's buffers fill, until the link is cut or disposed.
            if (frozen.IsFrozen)
                await Task.Delay(Timeout.Infinite, disposed.Token);
        }
        finally
        {
            pending.Writer.TryComplete();
        }
        await forwarding;
    }

    private async Task ForwardAsync(ChannelReader<(long Due, byte[] Bytes)> pending, Stream to, Frozen frozen)
    {
        await foreach (var (due, bytes) in pending.ReadAllAsync(disposed.Token))
        {
            if (due - Environment.TickCount64 is var wait and > 0)
                await Task.Delay(TimeSpan.FromMilliseconds(wait), disposed.Token);
            if (frozen.IsFrozen)
                return; // what arrived after the freeze is lost with the path
            await to.WriteAsync(bytes, disposed.Token);
        }
    }

    /// <summary>Closes with RST rather than FIN: the peer learns at once that the path is gone.</summary>
    private void Reset(Socket socket)
    {
        if (!open.TryRemove(socket, out _))
            return;
        try
        {
            socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
        {
            // Already closed by the other side.
        }
        socket.Dispose();
    }
}
