using System.IO.Pipelines;
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

    /// <summary>Where the data path runs after socket completions; see <see cref="Engine.IoScheduling"/>.</summary>
    public IoScheduling IoScheduling { get; init; } = IoScheduling.Inline;

    /// <summary>Gets a record of every finished HTTP request (tests; the access log builds on it).</summary>
    internal Http.IRequestLogSink? RequestLog { get; init; }

    /// <summary>Where an access-log line per finished HTTP request goes; null for none. The owner disposes it after
    /// the server stopped.</summary>
    public Logging.AccessLogWriter? AccessLog { get; init; }

    internal TransportOptions Transport => IoScheduling == IoScheduling.Inline
        ? TransportOptions.Default
        : ThreadPoolTransport;

    private static readonly TransportOptions ThreadPoolTransport = new() { ApplicationScheduler = PipeScheduler.ThreadPool };
}
