using System.Net;
using Microsoft.Extensions.Logging;
using Proxy.Istio;

namespace Proxy.Hosting;

/// <summary>What a <see cref="ProxyGateway"/> serves and how it runs (the <c>proxy run</c> flags, for embedders).</summary>
public sealed class ProxyGatewayOptions
{
    /// <summary>The default admin address, as in DESIGN.md.</summary>
    public static IPEndPoint DefaultAdminEndPoint => new(IPAddress.Loopback, 15000);

    /// <summary>YAML files or directories of <c>*.yaml</c>/<c>*.yml</c> (<c>--config</c>), read when the gateway starts.</summary>
    public IList<string> ConfigPaths { get; } = [];

    /// <summary>YAML held in memory (embedded resources, text built by a host or a test), served with <see cref="ConfigPaths"/>.</summary>
    public IList<IstioSource> ConfigSources { get; } = [];

    /// <summary>The address Gateway servers bind (<c>--listen-address</c>); default 0.0.0.0.</summary>
    public IPAddress ListenAddress { get; set; } = IPAddress.Any;

    /// <summary>The admin endpoint (<c>--admin</c>); null turns it off. Default 127.0.0.1:15000; port 0 picks a free port.</summary>
    public IPEndPoint? AdminEndPoint { get; set; } = DefaultAdminEndPoint;

    /// <summary>This instance's workload labels (<c>--labels</c>), matched against <c>Gateway.spec.selector</c>; null serves every Gateway.</summary>
    public IDictionary<string, string>? Labels { get; set; }

    /// <summary>Where <c>tls.credentialName</c> secrets are read from (<c>--credentials-dir</c>).</summary>
    public string? CredentialsDirectory { get; set; }

    /// <summary>How long a drain lets in-flight requests finish before connections are closed (<c>--drain-timeout</c>); default 15 s.</summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Where the data path runs after socket completions (engine tuning; the CLI's hidden <c>--io-scheduling</c>).</summary>
    public Proxy.Engine.IoScheduling IoScheduling { get; set; } = Proxy.Engine.IoScheduling.Inline;

    /// <summary>
    /// Where the access log goes: <c>null</c> or <c>off</c> for none, <c>stdout</c> for standard output, else a file path
    /// (appended to). One line per finished HTTP request, written off the request path.
    /// </summary>
    public string? AccessLog { get; set; }

    /// <summary>The access log's format: Istio's default text, or JSON with Istio's field names.</summary>
    public Proxy.Engine.Logging.AccessLogFormat AccessLogFormat { get; set; }

    /// <summary>Gateway port -> port actually bound (0 = any free port), so tests can run the real YAML side by side.</summary>
    public IDictionary<int, int> PortOverrides { get; } = new Dictionary<int, int>();

    /// <summary>Where the gateway, the engine and the admin endpoint log; null logs nowhere.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>The clock for timeouts and the drain deadline; null is <see cref="System.TimeProvider.System"/>.</summary>
    public TimeProvider? TimeProvider { get; set; }

    internal IstioBuildOptions ToBuildOptions() => new()
    {
        ListenAddress = ListenAddress,
        Labels = Labels is null ? null : new Dictionary<string, string>(Labels, StringComparer.Ordinal),
        CredentialsDirectory = CredentialsDirectory,
        TimeProvider = TimeProvider ?? System.TimeProvider.System,
        PortOverrides = PortOverrides.Count == 0 ? null : new Dictionary<int, int>(PortOverrides),
    };
}
