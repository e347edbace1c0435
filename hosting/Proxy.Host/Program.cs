using System.Runtime.InteropServices;

namespace Proxy.Host;

internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
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
