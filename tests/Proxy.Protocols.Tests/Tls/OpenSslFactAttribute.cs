namespace Proxy.Protocols.Tests.Tls;

/// <summary>A fact that is skipped when no <c>openssl</c> executable is on PATH.</summary>
public sealed class OpenSslFactAttribute : FactAttribute
{
    public OpenSslFactAttribute()
    {
        if (OpenSslPath is null)
        {
            Skip = "openssl is not on PATH";
        }
    }

    public static string? OpenSslPath { get; } =
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, OperatingSystem.IsWindows() ? "openssl.exe" : "openssl"))
            .FirstOrDefault(File.Exists);
}
