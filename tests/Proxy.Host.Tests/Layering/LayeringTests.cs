using System.Reflection;

namespace Proxy.Host.Tests.Layering;

/// <summary>
/// DESIGN.md: arrows point one way, Protocols &lt;- Engine &lt;- Istio &lt;- Hosting &lt;- Host. Checked on the compiled
/// assemblies' references, so a stray ProjectReference or a type moved to the wrong layer fails here.
/// </summary>
public sealed class LayeringTests
{
    public static TheoryData<string, string[]> AllowedReferences => new()
    {
        { "Proxy.Protocols", [] },
        { "Proxy.Engine", ["Proxy.Protocols"] },
        { "Proxy.Istio", ["Proxy.Engine", "Proxy.Protocols"] },
        { "Proxy.Hosting", ["Proxy.Istio", "Proxy.Engine", "Proxy.Protocols"] },
    };

    [Theory]
    [MemberData(nameof(AllowedReferences))]
    public void Assembly_ReferencesOnlyLowerLayers(string assemblyName, string[] allowed)
    {
        var assembly = Assembly.Load(assemblyName);

        var proxyReferences = assembly.GetReferencedAssemblies()
            .Select(a => a.Name!)
            .Where(n => n.StartsWith("Proxy.", StringComparison.Ordinal) || n == "proxy")
            .ToList();

        var forbidden = proxyReferences.Except(allowed).ToList();
        Assert.True(forbidden.Count == 0, $"{assemblyName} must not reference {string.Join(", ", forbidden)}");
    }

    [Fact]
    public void Engine_NamesNoIstioType()
    {
        var engine = Assembly.Load("Proxy.Engine");

        Assert.DoesNotContain(engine.GetReferencedAssemblies(), a => a.Name == "Proxy.Istio");
        Assert.DoesNotContain(engine.GetTypes(), t => t.Namespace?.StartsWith("Proxy.Istio", StringComparison.Ordinal) == true);
    }
}
