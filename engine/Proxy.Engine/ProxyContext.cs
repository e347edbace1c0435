using Microsoft.Extensions.Logging;
using Proxy.Engine.Http.Mirroring;
using Proxy.Engine.Transport;
using Proxy.Protocols.Http1;

namespace Proxy.Engine;

/// <summary>What every connection of one server shares: parser, clock, transport settings, logging.</summary>
internal sealed class ProxyContext
{
    public ProxyContext(ProxyServerOptions options)
    {
        Options = options;
        Parser = new Http1Parser(options.ParserLimits);
        TimeProvider = options.TimeProvider;
        Transport = options.Transport;
        Logger = options.LoggerFactory.CreateLogger("Proxy.Engine");
        Mirrors = new MirrorDispatcher(Statistics);
    }

    public ProxyServerOptions Options { get; }

    public Http1Parser Parser { get; }

    public TimeProvider TimeProvider { get; }

    public TransportOptions Transport { get; }

    public ILogger Logger { get; }

    public ProxyStatistics Statistics { get; } = new();

    /// <summary>Request mirrors in flight: capped per server, ended by the server's stop.</summary>
    public MirrorDispatcher Mirrors { get; }
}
