namespace Proxy.Istio;

/// <summary>Reads Istio YAML from files and directories (the <c>--config PATH</c> arguments).</summary>
public static class IstioSources
{
    /// <summary>
    /// Reads each path: a YAML file, or a directory whose <c>*.yaml</c>/<c>*.yml</c> files are read (not recursively)
    /// in ordinal name order. Missing or unreadable paths become errors in the result, never exceptions.
    /// </summary>
    public static IstioSourceSet Read(IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var sources = new List<IstioSource>();
        var errors = new List<ConfigError>();
        foreach (var path in paths)
        {
            if (string.IsNullOrWhiteSpace(path))
            {
                errors.Add(new ConfigError(path ?? string.Empty, -1, null, string.Empty, "empty path"));
                continue;
            }

            try
            {
                if (Directory.Exists(path))
                {
                    var files = Directory.EnumerateFiles(path)
                        .Where(static f => f.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".yml", StringComparison.OrdinalIgnoreCase))
                        .Select(static f => System.IO.Path.GetFileName(f))
                        .Order(StringComparer.Ordinal)
                        .ToList();
                    foreach (var name in files)
                    {
                        ReadFile(System.IO.Path.Combine(path, name), sources, errors);
                    }
                }
                else if (File.Exists(path))
                {
                    ReadFile(path, sources, errors);
                }
                else
                {
                    errors.Add(new ConfigError(path, -1, null, string.Empty, "no such file or directory"));
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.SecurityException)
            {
                errors.Add(new ConfigError(path, -1, null, string.Empty, "cannot read: " + ex.Message));
            }
        }

        return new IstioSourceSet(sources, errors);
    }

    private static void ReadFile(string path, List<IstioSource> sources, List<ConfigError> errors)
    {
        try
        {
            // Relative certificate paths are relative to the YAML file that names them, wherever the process runs.
            var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
            sources.Add(new IstioSource(path, File.ReadAllText(path)) { BaseDirectory = directory });
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.SecurityException)
        {
            errors.Add(new ConfigError(path, -1, null, string.Empty, "cannot read: " + ex.Message));
        }
    }
}
