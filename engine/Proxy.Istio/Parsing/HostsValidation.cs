using Proxy.Istio.Hosts;
using Proxy.Istio.Loading;

namespace Proxy.Istio.Parsing;

/// <summary>Shared host-list reading and name checks for the four kinds.</summary>
internal static class HostsValidation
{
    public static bool IsDns1123Label(string value) =>
        HostName.IsDnsLabel(value) && !value.Any(char.IsAsciiLetterUpper);

    /// <summary>Reads a required, non-empty list of hosts, validating each; returns lower-cased hosts as written.</summary>
    public static List<(string Host, string Path)> ReadHosts(NodeReader reader, Fields spec, string field = "hosts")
    {
        var path = spec.PathOf(field);
        var hosts = reader.StringList(spec[field], path);
        if (hosts is null || hosts.Count == 0)
        {
            reader.Error(path, "at least one host is required");
            return [];
        }

        var result = new List<(string, string)>(hosts.Count);
        foreach (var (host, hostPath) in hosts)
        {
            if (HostName.Validate(host) is { } problem)
            {
                reader.Error(hostPath, problem);
                continue;
            }

            result.Add((host.ToLowerInvariant(), hostPath));
        }

        return result;
    }
}
