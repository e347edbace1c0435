using Microsoft.Extensions.Logging;
using Proxy.Hosting;

namespace Proxy.Host;

/// <summary>What a CLI invocation talks to: its output streams, its shutdown signal and how it logs. Tests pass their own.</summary>
internal sealed class CliContext
{
    public required TextWriter Out { get; init; }

    public required TextWriter Error { get; init; }

    /// <summary>Fires on SIGINT/SIGTERM: serving commands drain and return 0.</summary>
    public CancellationToken Shutdown { get; init; }

    /// <summary>Creates the logger factory for a serving command at the chosen level.</summary>
    public Func<LogLevel, ILoggerFactory> CreateLoggerFactory { get; init; } = CreateConsoleLoggerFactory;

    /// <summary>Called once a gateway is serving (tests read its bound endpoints).</summary>
    public Action<ProxyGateway>? GatewayStarted { get; init; }

    /// <summary>Logs go to stderr so stdout stays free for the access log and the demo's instructions.</summary>
    private static ILoggerFactory CreateConsoleLoggerFactory(LogLevel level) => LoggerFactory.Create(builder =>
    {
        builder.SetMinimumLevel(level);
        builder.AddSimpleConsole(options =>
        {
            options.SingleLine = true;
            options.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            options.UseUtcTimestamp = true;
        });
        builder.AddConsole(options => options.LogToStandardErrorThreshold = LogLevel.Trace);
    });
}
