using Proxy.Istio.Hosts;
using Proxy.Istio.Loading;
using Proxy.Istio.Model;

namespace Proxy.Istio.Compilation;

/// <summary>One host of one ServiceEntry: what a route destination resolves to.</summary>
internal sealed record ServiceRegistration(ServiceEntryConfig Entry, ServiceHost Host);

/// <summary>
/// The standalone service registry built from ServiceEntries. A destination host resolves to a ServiceEntry host
/// after qualification with the VirtualService's namespace, else literally (DESIGN.md: <c>reviews</c> reaches a
/// ServiceEntry for <c>reviews</c> or <c>reviews.default.svc.cluster.local</c>), else through the most specific
/// wildcard ServiceEntry host that covers it.
/// </summary>
internal sealed class ServiceRegistry
{
    private readonly Dictionary<string, ServiceRegistration> _byQualified = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<ServiceRegistration>> _byRaw = new(StringComparer.Ordinal);
    private readonly List<ServiceRegistration> _wildcards = [];

    public ServiceRegistry(IEnumerable<ServiceEntryConfig> entries, Diagnostics diagnostics)
    {
        foreach (var entry in entries.OrderBy(static e => e.Meta.SortKey, StringComparer.Ordinal))
        {
            foreach (var host in entry.Hosts)
            {
                var registration = new ServiceRegistration(entry, host);
                if (!_byQualified.TryAdd(host.Qualified, registration))
                {
                    var first = _byQualified[host.Qualified].Entry.Meta;
                    diagnostics.Warning(entry.Meta.Location, "spec.hosts",
                        $"host \"{host.Qualified}\" is already defined by ServiceEntry {first.Namespace}/{first.Name}; this definition is ignored");
                    continue;
                }

                if (!_byRaw.TryGetValue(host.Raw, out var list))
                {
                    _byRaw[host.Raw] = list = [];
                }

                list.Add(registration);
                if (HostName.IsWildcard(host.Qualified))
                {
                    _wildcards.Add(registration);
                }
            }
        }
    }

    public ServiceRegistration? Resolve(string host, string virtualServiceNamespace)
    {
        if (_byQualified.TryGetValue(HostName.Qualify(host, virtualServiceNamespace), out var qualified))
        {
            return qualified;
        }

        if (_byRaw.TryGetValue(host, out var literal))
        {
            return literal.Find(r => r.Entry.Meta.Namespace == virtualServiceNamespace) ?? literal[0];
        }

        var name = HostName.Qualify(host, virtualServiceNamespace);
        ServiceRegistration? best = null;
        foreach (var wildcard in _wildcards)
        {
            if (HostName.SubsetOf(name, wildcard.Host.Qualified) && (best is null || wildcard.Host.Qualified.Length > best.Host.Qualified.Length))
            {
                best = wildcard;
            }
        }

        return best;
    }
}
