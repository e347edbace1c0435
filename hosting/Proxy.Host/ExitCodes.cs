namespace Proxy.Host;

/// <summary>The <c>proxy</c> exit codes (DESIGN.md "The proxy command").</summary>
internal static class ExitCodes
{
    /// <summary>Normal exit, including after a graceful drain.</summary>
    public const int Success = 0;

    /// <summary>Invalid configuration (or a gateway that could not start with it, e.g. a port in use).</summary>
    public const int InvalidConfiguration = 1;

    /// <summary>Bad command line: unknown option, missing --config, malformed address or duration.</summary>
    public const int UsageError = 2;
}
