using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Proxy.Engine.Transport;
using Proxy.Protocols.Http1;

namespace Proxy.Engine;

/// <summary>Engine-wide settings that are not part of the routed configuration.</summary>
public sealed class ProxyServerOptions
{
    public Http1ParserLimits ParserLimits { get; init; } = Http1ParserLimits.Default;

    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    internal TransportOptions Transport { get; init; } = TransportOptions.Default;
}
