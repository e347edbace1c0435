using System.Net;
using Proxy.Engine.Config;

namespace Proxy.Engine;

/// <summary>
/// The gateway engine: binds the listeners of a <see cref="ProxyConfig"/>, serves them, and swaps configs atomically.
/// </summary>
public sealed class ProxyServer : IAsyncDisposable
{
    public ProxyServer(ProxyServerOptions? options = null)
    {
        Options = options ?? new ProxyServerOptions();
    }

    public ProxyServerOptions Options { get; }

    /// <summary>Binds every listener of <paramref name="config"/> and starts accepting.</summary>
    public Task StartAsync(ProxyConfig config, CancellationToken cancellationToken = default) => throw new NotImplementedException();

    /// <summary>The address a listener is bound to (resolves port 0), or null if no such listener.</summary>
    public IPEndPoint? GetBoundEndPoint(string listenerName) => throw new NotImplementedException();

    /// <summary>Stops accepting, lets in-flight requests finish until <paramref name="cancellationToken"/> fires, then closes everything.</summary>
    public Task StopAsync(CancellationToken cancellationToken = default) => throw new NotImplementedException();

    public ValueTask DisposeAsync() => new(StopAsync());
}
