using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Proxy.Engine;
using Proxy.Engine.Config;
using Proxy.Engine.Logging;
using Proxy.Hosting.Admin;
using Proxy.Istio;

namespace Proxy.Hosting;

/// <summary>
/// A running gateway: the engine serving a configuration built from Istio YAML, plus the admin endpoint.
/// </summary>
/// <remarks>
/// Lifecycle:
/// <code>
///   StartAsync: read YAML -> build + validate (all errors at once) -> ProxyServer.StartAsync -> admin endpoint
///   DrainAsync: /ready 503 -> engine stops accepting -> in-flight requests finish (bounded by DrainTimeout)
///   StopAsync:  DrainAsync -> admin endpoint closed
/// </code>
/// <c>/ready</c> turns 503 before the listeners stop accepting, so a load balancer probing it sees the drain first.
/// All members are thread-safe; drain and stop are idempotent.
/// </remarks>
public sealed class ProxyGateway : IAsyncDisposable
{
    private readonly ProxyServer _server;
    private readonly AdminEndpoint? _admin;
    private readonly AccessLogWriter? _accessLog;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly TimeSpan _drainTimeout;
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _drainDeadline = new();
    private Dictionary<string, IPEndPoint> _listenerEndPoints = [];
    private Task? _drain;
    private Task? _stop;
    private volatile bool _draining;

    private ProxyGateway(ProxyConfig config, ProxyGatewayOptions options)
    {
        Config = config;
        var loggerFactory = options.LoggerFactory ?? NullLoggerFactory.Instance;
        _logger = loggerFactory.CreateLogger<ProxyGateway>();
        _timeProvider = options.TimeProvider ?? TimeProvider.System;
        _drainTimeout = options.DrainTimeout;
        _accessLog = OpenAccessLog(options);
        _server = new ProxyServer(new ProxyServerOptions
        {
            LoggerFactory = loggerFactory,
            TimeProvider = _timeProvider,
            IoScheduling = options.IoScheduling,
            AccessLog = _accessLog,
        });
        if (options.AdminEndPoint is { } adminEndPoint)
        {
            _admin = new AdminEndpoint(adminEndPoint, () => _draining, () => _ = DrainAsync(), loggerFactory.CreateLogger<AdminEndpoint>());
        }
    }

    /// <summary>The configuration being served.</summary>
    public ProxyConfig Config { get; }

    /// <summary>The access log's writer (its written and dropped line counts); null when the log is off.</summary>
    public AccessLogWriter? AccessLog => _accessLog;

    /// <summary>The engine's counters since start.</summary>
    public ProxyStatistics Statistics => _server.Statistics;

    /// <summary>The admin endpoint's bound address; null when it is off.</summary>
    public IPEndPoint? AdminEndPoint => _admin?.EndPoint;

    /// <summary>Each listener's bound address by listener name (e.g. <c>0.0.0.0_8080</c>), ports overridden to 0 resolved.</summary>
    public IReadOnlyDictionary<string, IPEndPoint> ListenerEndPoints => _listenerEndPoints;

    /// <summary>True from the moment a drain starts: <c>/ready</c> answers 503.</summary>
    public bool IsDraining => _draining;

    /// <summary>
    /// Reads, builds and validates the configuration of <paramref name="options"/> without starting anything
    /// (<c>proxy validate</c>). Never throws for bad configuration: every problem is in the result's errors.
    /// </summary>
    public static IstioBuildResult Validate(ProxyGatewayOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var read = IstioSources.Read(options.ConfigPaths);
        var sources = new IstioSourceSet([.. read.Sources, .. options.ConfigSources], read.Errors);
        return IstioConfigBuilder.Build(sources, options.ToBuildOptions());
    }

    /// <summary>Builds the configuration of <paramref name="options"/>, then starts the engine and the admin endpoint.</summary>
    /// <exception cref="ProxyGatewayConfigurationException">The configuration is invalid; it carries every error.</exception>
    /// <exception cref="System.Net.Sockets.SocketException">A listener or the admin endpoint could not bind.</exception>
    public static Task<ProxyGateway> StartAsync(ProxyGatewayOptions options, CancellationToken cancellationToken = default)
    {
        var result = Validate(options);
        var logger = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger<ProxyGateway>();
        foreach (var warning in result.Warnings)
        {
            HostingLog.ConfigWarning(logger, warning);
        }

        if (!result.IsValid || result.Config is null)
        {
            throw new ProxyGatewayConfigurationException(result.Errors);
        }

        return StartAsync(result.Config, options, cancellationToken);
    }

    /// <summary>
    /// Starts the engine with a configuration compiled elsewhere (another router module, or routes built in code);
    /// the config-source members of <paramref name="options"/> are ignored.
    /// </summary>
    public static async Task<ProxyGateway> StartAsync(ProxyConfig config, ProxyGatewayOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(options);
        var gateway = new ProxyGateway(config, options);
        try
        {
            await gateway.StartCoreAsync(cancellationToken).ConfigureAwait(false);
            return gateway;
        }
        catch
        {
            await gateway.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The bound address of a listener, or null if there is no such listener.</summary>
    public IPEndPoint? GetBoundEndPoint(string listenerName) => _listenerEndPoints.GetValueOrDefault(listenerName);

    /// <summary>
    /// Starts draining (as <c>POST /drain</c> does): <c>/ready</c> turns 503, listeners stop accepting, in-flight
    /// requests get until the drain timeout. Completes when drained. The admin endpoint keeps serving.
    /// </summary>
    public Task DrainAsync()
    {
        lock (_lock)
        {
            return _drain ??= DrainCoreAsync();
        }
    }

    /// <summary>
    /// Drains (see <see cref="DrainAsync"/>), then closes the admin endpoint. When <paramref name="cancellationToken"/>
    /// fires before the drain timeout, remaining connections are closed at once.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        using (cancellationToken.Register(static state => ((ProxyGateway)state!).CancelDrainDeadline(), this))
        {
            Task stop;
            lock (_lock)
            {
                stop = _stop ??= StopCoreAsync();
            }

            await stop.ConfigureAwait(false);
        }
    }

    /// <summary>Stops the gateway without waiting for in-flight requests.</summary>
    public async ValueTask DisposeAsync()
    {
        CancelDrainDeadline();
        await StopAsync().ConfigureAwait(false);
        _drainDeadline.Dispose();
    }

    private async Task StartCoreAsync(CancellationToken cancellationToken)
    {
        await _server.StartAsync(Config, cancellationToken).ConfigureAwait(false);
        var endPoints = new Dictionary<string, IPEndPoint>(StringComparer.Ordinal);
        foreach (var listener in Config.Listeners)
        {
            var bound = _server.GetBoundEndPoint(listener.Name);
            HostingLog.ListenerBound(_logger, listener.Name, bound);
            if (bound is not null)
            {
                endPoints[listener.Name] = bound;
            }
        }

        _listenerEndPoints = endPoints;
        _admin?.Start();
        HostingLog.GatewayStarted(_logger, Config.Version, Config.Listeners.Count);
    }

    private async Task DrainCoreAsync()
    {
        // Step 1: readiness first, so probes see the drain before connections are refused.
        _draining = true;
        HostingLog.DrainStarted(_logger, _drainTimeout);

        // Step 2: the engine stops accepting and waits for in-flight requests until the deadline fires.
        await Task.Yield();
        using var timeout = new CancellationTokenSource(_drainTimeout, _timeProvider);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _drainDeadline.Token);
        await _server.StopAsync(deadline.Token).ConfigureAwait(false);
        HostingLog.Drained(_logger);
    }

    private async Task StopCoreAsync()
    {
        try
        {
            await DrainAsync().ConfigureAwait(false);
        }
        finally
        {
            if (_admin is not null)
            {
                await _admin.StopAsync().ConfigureAwait(false);
            }

            // The drain already ran ProxyServer.StopAsync, which closes everything: no request logs any more, so the
            // access log writes what is queued and closes.
            if (_accessLog is not null)
            {
                await _accessLog.DisposeAsync().ConfigureAwait(false);
            }

            HostingLog.GatewayStopped(_logger);
        }
    }

    private static AccessLogWriter? OpenAccessLog(ProxyGatewayOptions options) => options.AccessLog switch
    {
        null or "" or "off" => null,
        "stdout" => new AccessLogWriter(Console.OpenStandardOutput(), options.AccessLogFormat, leaveOpen: true),
        // Appended to, shared for reading (tail -f) and for a rotating tool that renames it.
        var path => new AccessLogWriter(
            new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0, FileOptions.Asynchronous),
            options.AccessLogFormat),
    };

    private void CancelDrainDeadline()
    {
        try
        {
            _drainDeadline.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already stopped and disposed.
        }
    }
}
