using Microsoft.Extensions.Logging.Abstractions;
using Proxy.Hosting;

namespace Proxy.Host.Tests.Cli;

/// <summary>Runs the <c>proxy</c> entry point in-process with captured stdout/stderr.</summary>
internal static class CliRunner
{
    public static async Task<CliResult> RunAsync(params string[] args)
        => await RunAsync(args, null, CancellationToken.None);

    public static async Task<CliResult> RunAsync(string[] args, Action<ProxyGateway>? started, CancellationToken shutdown)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exitCode = await ProxyCli.InvokeAsync(args, new CliContext
        {
            Out = stdout,
            Error = stderr,
            Shutdown = shutdown,
            CreateLoggerFactory = _ => NullLoggerFactory.Instance,
            GatewayStarted = started,
        }).WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
        return new CliResult(exitCode, stdout.ToString(), stderr.ToString());
    }
}

internal sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public string[] StderrLines => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
