using Proxy.Istio.Loading;
using Proxy.Istio.Model;
using YamlDotNet.RepresentationModel;

namespace Proxy.Istio.Parsing;

/// <summary>
/// Reads each document's envelope (apiVersion, kind, metadata), rejects duplicates, and hands the spec to the
/// kind's parser. An object with errors still joins <see cref="ParsedConfig"/> without its invalid parts, so that
/// references to and from it are checked too (every error at once, without cascades such as "host not defined" for
/// a ServiceEntry that merely has a bad endpoint); a build with any error produces no config.
/// </summary>
internal static class IstioObjectParser
{
    private const string Group = "networking.istio.io/";
    private static readonly string[] Versions = ["v1", "v1beta1", "v1alpha3"];
    private static readonly string[] Kinds = ["Gateway", "VirtualService", "DestinationRule", "ServiceEntry"];

    public static ParsedConfig Parse(IEnumerable<ParsedDocument> documents, Diagnostics diagnostics)
    {
        var config = new ParsedConfig();
        var seen = new Dictionary<string, SourceLocation>(StringComparer.Ordinal);
        foreach (var document in documents)
        {
            ParseDocument(document, diagnostics, config, seen);
        }

        return config;
    }

    private static void ParseDocument(ParsedDocument document, Diagnostics diagnostics, ParsedConfig config, Dictionary<string, SourceLocation> seen)
    {
        var reader = new NodeReader(diagnostics, new SourceLocation(document.File, document.DocumentIndex, null, document.BaseDirectory));
        if (document.Root is not YamlMappingNode root)
        {
            reader.Error(string.Empty, "a document must be a mapping with apiVersion, kind, metadata and spec");
            return;
        }

        // Peek kind and apiVersion before strict field checks: objects of other kinds are skipped, not validated.
        var kind = ScalarChild(root, "kind");
        var apiVersion = ScalarChild(root, "apiVersion");
        if (kind is null || apiVersion is null)
        {
            reader.Error(kind is null ? "kind" : "apiVersion", "is required");
            return;
        }

        if (!apiVersion.StartsWith(Group, StringComparison.Ordinal) || Array.IndexOf(Kinds, kind) < 0)
        {
            reader.Warning(string.Empty, $"skipped: {kind} ({apiVersion}) is not a Gateway, VirtualService, DestinationRule or ServiceEntry of {Group.TrimEnd('/')}");
            return;
        }

        var fields = reader.Mapping(root, string.Empty, ["apiVersion", "kind", "metadata", "spec"], ignored: ["status"])!;
        var meta = reader.Mapping(fields["metadata"], "metadata", ["name", "namespace"],
            ignored: ["labels", "annotations", "uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "generateName", "ownerReferences", "finalizers", "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds"]);
        var name = reader.String(meta?["name"], "metadata.name");
        var ns = reader.String(meta?["namespace"], "metadata.namespace") ?? "default";
        reader.Location = reader.Location with { ObjectRef = $"{kind} {ns}/{(string.IsNullOrEmpty(name) ? "(unnamed)" : name)}" };
        if (Array.IndexOf(Versions, apiVersion[Group.Length..]) < 0)
        {
            reader.Error("apiVersion", $"unsupported version \"{apiVersion}\"; expected {Group}v1, v1beta1 or v1alpha3");
        }

        if (string.IsNullOrEmpty(name))
        {
            reader.Error("metadata.name", "is required");
            return;
        }

        if (ns.Length == 0 || !HostsValidation.IsDns1123Label(ns))
        {
            reader.Error("metadata.namespace", $"\"{ns}\" is not a valid namespace name");
        }

        var objectMeta = new IstioObjectMeta(kind, ns, name, reader.Location);
        var key = objectMeta.Ref;
        if (seen.TryGetValue(key, out var first))
        {
            reader.Error("metadata.name", $"duplicate {key}; first defined in {first.File}[{first.DocumentIndex}]");
            return;
        }

        seen.Add(key, reader.Location);
        var spec = fields["spec"];
        switch (kind)
        {
            case "Gateway":
                var gateway = GatewayParser.Parse(objectMeta, spec, reader);
                if (gateway is not null)
                {
                    config.Gateways.Add(gateway);
                }

                break;
            case "VirtualService":
                var virtualService = VirtualServiceParser.Parse(objectMeta, spec, reader);
                if (virtualService is not null)
                {
                    config.VirtualServices.Add(virtualService);
                }

                break;
            case "DestinationRule":
                var destinationRule = DestinationRuleParser.Parse(objectMeta, spec, reader);
                if (destinationRule is not null)
                {
                    config.DestinationRules.Add(destinationRule);
                }

                break;
            default:
                var serviceEntry = ServiceEntryParser.Parse(objectMeta, spec, reader);
                if (serviceEntry is not null)
                {
                    config.ServiceEntries.Add(serviceEntry);
                }

                break;
        }
    }

    private static string? ScalarChild(YamlMappingNode mapping, string key) =>
        mapping.Children.TryGetValue(new YamlScalarNode(key), out var node) && node is YamlScalarNode { Value: { Length: > 0 } value } ? value : null;
}
