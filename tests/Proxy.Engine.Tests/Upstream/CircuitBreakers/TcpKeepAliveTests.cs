using System.Net.Sockets;
using Proxy.Engine.Config;
using Proxy.Engine.Tests.Infrastructure;
using Proxy.Engine.Transport;

namespace Proxy.Engine.Tests.Upstream.CircuitBreakers;

/// <summary>Istio connectionPool.tcp.tcpKeepalive on upstream sockets, read back from a connected socket.</summary>
public sealed class TcpKeepAliveTests
{
    [Fact]
    public async Task CreateSocket_KeepAliveConfigured_ConnectedSocketCarriesTheOptions()
    {
        // Envoy upstream_connection_options.tcp_keepalive: SO_KEEPALIVE on, with keepalive_time, keepalive_interval
        // and keepalive_probes as TCP_KEEPIDLE, TCP_KEEPINTVL and TCP_KEEPCNT.
        await using var backend = new TestBackend();
        using var socket = SocketConnector.CreateSocket(new TcpKeepAliveSettings(Probes: 4, Time: TimeSpan.FromSeconds(30), Interval: TimeSpan.FromSeconds(7)));
        await socket.ConnectAsync(backend.EndPoint).WaitAsync(TestTimeouts.Default);

        Assert.Equal(1, (int)socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive)!);
        Assert.Equal(30, (int)socket.GetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime)!);
        Assert.Equal(7, (int)socket.GetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval)!);
        Assert.Equal(4, (int)socket.GetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount)!);
        Assert.True(socket.NoDelay);
    }

    [Fact]
    public async Task CreateSocket_OnlyTimeConfigured_KeepsTheSystemsOtherValues()
    {
        await using var backend = new TestBackend();
        using var reference = new Socket(SocketType.Stream, ProtocolType.Tcp);
        var systemInterval = (int)reference.GetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval)!;
        var systemProbes = (int)reference.GetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount)!;
        using var socket = SocketConnector.CreateSocket(new TcpKeepAliveSettings(Time: TimeSpan.FromSeconds(60)));
        await socket.ConnectAsync(backend.EndPoint).WaitAsync(TestTimeouts.Default);

        Assert.Equal(1, (int)socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive)!);
        Assert.Equal(60, (int)socket.GetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime)!);
        Assert.Equal(systemInterval, (int)socket.GetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval)!);
        Assert.Equal(systemProbes, (int)socket.GetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount)!);
    }

    [Fact]
    public async Task CreateSocket_NoKeepAlive_LeavesItOff()
    {
        await using var backend = new TestBackend();
        using var socket = SocketConnector.CreateSocket(null);
        await socket.ConnectAsync(backend.EndPoint).WaitAsync(TestTimeouts.Default);

        Assert.Equal(0, (int)socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive)!);
    }
}
