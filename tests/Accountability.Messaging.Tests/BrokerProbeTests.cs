using System.Net;
using System.Net.Sockets;
using Accountability.Messaging.Bus;
using Accountability.TestSupport;
using Microsoft.Extensions.Options;
using Xunit;

namespace Accountability.Messaging.Tests;

/// <summary>
/// The watchdog's publish probe (<see cref="BrokerProbe.CanPublishAsync"/>) asks whether a fresh connection gets a publish
/// confirmed. The broker is reachable while any node of the cluster is, so a node that is gone must not fail it.
/// </summary>
public sealed class BrokerProbeTests
{
    [Fact]
    public async Task A_publish_probe_is_confirmed_while_one_of_the_cluster_nodes_never_answers_a_connect()
    {
        using var silent = SilentNode.Start();
        var broker = new Uri(TestEnvironment.RabbitMqUri);
        var options = Options.Create(new RabbitMqOptions
        {
            Uri = TestEnvironment.RabbitMqUri,
            ClusterNodes = $"127.0.0.1:{silent.Port},{broker.Host}:{broker.Port}",
        });
        await using var probe = new BrokerProbe(options);

        // The client tries the nodes in a random order: with six probes the silent node comes first in some of them
        // (all six miss it one time in 64). The publish itself has the 2 s a test gives Messaging:PublishTimeout.
        for (var i = 1; i <= 6; i++)
            Assert.True(await probe.CanPublishAsync(TimeSpan.FromSeconds(2), CancellationToken.None), $"probe {i} was not confirmed");
    }

    /// <summary>
    /// An address where a connect neither succeeds nor fails, like a killed node's: a listening socket whose accept
    /// queue is full, so the kernel drops every further SYN and the client waits out its connect timeout.
    /// </summary>
    private sealed class SilentNode : IDisposable
    {
        private readonly Socket listener;
        private readonly List<Socket> queued = [];

        private SilentNode(Socket listener) => this.listener = listener;

        public int Port => ((IPEndPoint)listener.LocalEndPoint!).Port;

        public static SilentNode Start()
        {
            var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen(1);
            var node = new SilentNode(listener);
            // Connections that are never accepted fill the queue; a connect that does not complete at once means it is full.
            for (var i = 0; i < 16; i++)
            {
                var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                node.queued.Add(client);
                if (!client.ConnectAsync(IPAddress.Loopback, node.Port).Wait(TimeSpan.FromMilliseconds(300)))
                    return node;
            }
            throw new InvalidOperationException("The listening socket kept accepting connections; no silent node could be made.");
        }

        public void Dispose()
        {
            foreach (var socket in queued)
                socket.Dispose();
            listener.Dispose();
        }
    }
}
