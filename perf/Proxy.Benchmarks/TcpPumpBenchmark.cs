using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using Proxy.Engine;
using Proxy.Engine.Config;
using Proxy.Engine.Routing;

namespace Proxy.Benchmarks;

/// <summary>
/// The L4 pump (<c>TcpProxyConnection</c>) over real loopback sockets: a client pushes <see cref="Payload"/> bytes
/// through an in-process ProxyServer TCP listener to an echo backend and reads the echo back, on one long-lived
/// connection. The baseline does the same straight to the echo backend, so the difference is the proxy hop.
/// </summary>
/// <remarks>
/// The client, the echo backend and the client's reader are blocking sockets on their own threads with preallocated
/// buffers: they allocate nothing per operation. MemoryDiagnoser counts the whole process, so "Allocated" is the
/// proxy's (and .NET's socket engine's) allocation for 2 x <see cref="Payload"/> bytes forwarded, i.e. about
/// 2 x Payload / 16 KiB transport buffers (PinnedBlockMemoryPool.BlockSize) per operation.
/// Throughput is measured end to end by perf/compare.sh (section tcp); this benchmark is for allocations and for
/// per-operation cost without the kernel noise of a second machine-wide load.
/// </remarks>
[MemoryDiagnoser]
public class TcpPumpBenchmark
{
    private const int ChunkSize = 64 * 1024;

    private readonly byte[] _chunk = new byte[ChunkSize];
    private Socket _backendListener = null!;
    private ProxyServer _server = null!;
    private EchoClient _direct = null!;
    private EchoClient _proxied = null!;

    /// <summary>Bytes sent (and echoed back) per operation.</summary>
    [Params(1024 * 1024)]
    public int Payload { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        Random.Shared.NextBytes(_chunk);
        _backendListener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _backendListener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _backendListener.Listen(16);
        var backendPort = ((IPEndPoint)_backendListener.LocalEndPoint!).Port;
        new Thread(AcceptBackendConnections) { IsBackground = true, Name = "echo accept" }.Start();

        var cluster = new ClusterConfig { Name = "echo", Endpoints = [new EndpointConfig("127.0.0.1", backendPort)] };
        var route = new TcpRoute("echo", [new WeightedCluster(cluster, 100)]);
        _server = new ProxyServer();
        _server.StartAsync(new ProxyConfig
        {
            Listeners = [new ListenerConfig { Name = "tcp", EndPoint = new IPEndPoint(IPAddress.Loopback, 0), TcpRouter = new SingleRouteTcpRouter(route) }],
            Clusters = [cluster],
        }).GetAwaiter().GetResult();

        _direct = new EchoClient(new IPEndPoint(IPAddress.Loopback, backendPort));
        _proxied = new EchoClient(_server.GetBoundEndPoint("tcp")!);

        // One round through each before measuring: the proxy's upstream connection exists from the first byte on.
        Push(_direct);
        Push(_proxied);
    }

    [Benchmark(Baseline = true)]
    public long DirectEcho() => Push(_direct);

    [Benchmark]
    public long ProxiedEcho() => Push(_proxied);

    [GlobalCleanup]
    public void Cleanup()
    {
        _proxied.Dispose();
        _direct.Dispose();
        _server.StopAsync(new CancellationTokenSource(TimeSpan.FromSeconds(5)).Token).GetAwaiter().GetResult();
        _backendListener.Dispose();
    }

    /// <summary>Sends <see cref="Payload"/> bytes in 64 KiB writes and waits until the reader thread has seen them all
    /// come back.</summary>
    private long Push(EchoClient client)
    {
        var target = client.Expect(Payload);
        for (var sent = 0; sent < Payload; sent += ChunkSize)
        {
            client.Socket.Send(_chunk, 0, Math.Min(ChunkSize, Payload - sent), SocketFlags.None);
        }

        client.WaitFor(target);
        return target;
    }

    private void AcceptBackendConnections()
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = _backendListener.Accept();
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                return;
            }

            socket.NoDelay = true;
            new Thread(() => Echo(socket)) { IsBackground = true, Name = "echo" }.Start();
        }
    }

    private static void Echo(Socket socket)
    {
        var buffer = new byte[ChunkSize];
        try
        {
            while (true)
            {
                var n = socket.Receive(buffer);
                if (n == 0)
                {
                    return;
                }

                socket.Send(buffer, 0, n, SocketFlags.None);
            }
        }
        catch (SocketException)
        {
        }
        finally
        {
            socket.Dispose();
        }
    }

    /// <summary>A connected client whose reader thread counts echoed bytes, so sending never waits for reading.</summary>
    private sealed class EchoClient : IDisposable
    {
        private readonly byte[] _buffer = new byte[ChunkSize];
        private readonly object _lock = new();
        private long _expected;
        private long _received;

        public EchoClient(IPEndPoint endPoint)
        {
            Socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            Socket.Connect(endPoint);
            new Thread(Read) { IsBackground = true, Name = "echo client reader" }.Start();
        }

        public Socket Socket { get; }

        /// <summary>Returns the received-byte count to wait for once <paramref name="bytes"/> more have come back.</summary>
        public long Expect(int bytes)
        {
            lock (_lock)
            {
                _expected += bytes;
                return _expected;
            }
        }

        public void WaitFor(long target)
        {
            lock (_lock)
            {
                while (_received < target)
                {
                    Monitor.Wait(_lock);
                }
            }
        }

        public void Dispose() => Socket.Dispose();

        private void Read()
        {
            try
            {
                while (true)
                {
                    var n = Socket.Receive(_buffer);
                    if (n == 0)
                    {
                        return;
                    }

                    lock (_lock)
                    {
                        _received += n;
                        if (_received >= _expected)
                        {
                            Monitor.PulseAll(_lock);
                        }
                    }
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
            }
        }
    }

    private sealed class SingleRouteTcpRouter(TcpRoute route) : ITcpRouter
    {
        public TcpRoute? Route(in TcpRouteContext context) => route;
    }
}
