using System.Runtime.InteropServices;

namespace Proxy.Host;

internal static class Program
{
    /// <summary>
    /// Read once by .NET's Linux socket engine when the first socket is created: with "1" the epoll threads (one per
    /// core) run socket completions themselves instead of handing each one to the thread pool. The data path never
    /// blocks, so the hop is pure cost: on the reference machine it cut a proxied tiny GET from 56 to 36 us of CPU
    /// and context switches from 1.7 to 0.15 per request (perf/RESULTS.md, "What limits Proxy today"). Set here,
    /// before any socket exists, unless the operator set it; a host embedding the engine makes its own choice.
    /// </summary>
    private const string InlineCompletionsVariable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    public static async Task<int> Main(string[] args)
    {
        if (Environment.GetEnvironmentVariable(InlineCompletionsVariable) is null)
        {
            Environment.SetEnvironmentVariable(InlineCompletionsVariable, "1");
        }

        using var shutdown = new CancellationTokenSource();
        var signals = 0;

        // The first SIGINT/SIGTERM starts a graceful drain (the command then exits 0); a second one is not
        // cancelled, so the runtime's default handling terminates the process at once.
        void OnSignal(PosixSignalContext context)
        {
            if (Interlocked.Increment(ref signals) == 1)
            {
                context.Cancel = true;
                shutdown.Cancel();
            }
        }

        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        return await ProxyCli.InvokeAsync(args, new CliContext
        {
            Out = Console.Out,
            Error = Console.Error,
            Shutdown = shutdown.Token,
        }).ConfigureAwait(false);
    }
}
