namespace Proxy.Host.Tests.Cli;

/// <summary>A temporary directory of YAML files, deleted on dispose.</summary>
internal sealed class TempConfig : IDisposable
{
    public TempConfig() => Directory.CreateDirectory(Root);

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "proxy-host-tests-" + Guid.NewGuid().ToString("N"));

    public string Write(string fileName, string yaml)
    {
        var path = Path.Combine(Root, fileName);
        File.WriteAllText(path, yaml);
        return path;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
