namespace Proxy.Engine.Config;

/// <summary>A complete, validated, compiled configuration: what a router module hands the engine in one publish.</summary>
public sealed class ProxyConfig
{
    public required IReadOnlyList<ListenerConfig> Listeners { get; init; }

    /// <summary>Every cluster any route of any listener may reach.</summary>
    public required IReadOnlyList<ClusterConfig> Clusters { get; init; }

    /// <summary>Opaque version label shown by the admin endpoint (e.g. a content hash).</summary>
    public string Version { get; init; } = "0";
}
