using Proxy.Engine.Routing;
using Proxy.Istio.Loading;
using Proxy.Istio.Model;
using YamlDotNet.RepresentationModel;

namespace Proxy.Istio.Parsing;

/// <summary>Headers (route and destination level), checked as Istio's validateHTTPRoute and
/// validateHTTPRouteDestinations check them.</summary>
internal static partial class VirtualServiceParser
{
    /// <summary>
    /// <c>headers: {request, response}</c>. A request <c>set</c> or <c>add</c> of <c>host</c> or <c>:authority</c>
    /// becomes the authority rewrite (route.go translateAppendHeaders), and only one place may set it
    /// (validateAuthorityRewrite).
    /// </summary>
    private static HeadersConfig? ParseHeaders(YamlNode? node, string path, NodeReader reader)
    {
        var fields = reader.Mapping(node, path, ["request", "response"]);
        if (fields is null)
        {
            return null;
        }

        string? authority = null;
        var request = fields.Has("request") ? ParseHeaderOperations(fields["request"], fields.PathOf("request"), reader, request: true, ref authority) : null;
        var response = fields.Has("response") ? ParseHeaderOperations(fields["response"], fields.PathOf("response"), reader, request: false, ref authority) : null;
        return request is null && response is null && authority is null ? null : new HeadersConfig(request, response, authority);
    }

    private static HeaderOperations? ParseHeaderOperations(YamlNode? node, string path, NodeReader reader, bool request, ref string? authority)
    {
        var fields = reader.Mapping(node, path, ["set", "add", "remove"]);
        if (fields is null)
        {
            return null;
        }

        var set = ReadHeaderValues(fields["set"], fields.PathOf("set"), reader, request, ref authority);
        var add = ReadHeaderValues(fields["add"], fields.PathOf("add"), reader, request, ref authority);
        var remove = new List<string>();
        foreach (var (name, namePath) in reader.StringList(fields["remove"], fields.PathOf("remove")) ?? [])
        {
            // ValidateHTTPHeaderOperationName: Host and pseudo-headers cannot be removed.
            if (NameProblem(name, allowAuthority: false) is { } problem)
            {
                reader.Error(namePath, problem);
                continue;
            }

            remove.Add(name);
        }

        return set.Count == 0 && add.Count == 0 && remove.Count == 0 ? null : new HeaderOperations(set, add, remove);
    }

    /// <summary>A <c>set</c> or <c>add</c> map, in YAML order, with each value checked and <c>%%</c> unescaped.</summary>
    private static List<KeyValuePair<string, string>> ReadHeaderValues(YamlNode? node, string path, NodeReader reader, bool request, ref string? authority)
    {
        var result = new List<KeyValuePair<string, string>>();
        if (NodeReader.IsNull(node))
        {
            return result;
        }

        if (node is not YamlMappingNode mapping)
        {
            reader.Error(path, "expected a mapping of header names to values");
            return result;
        }

        foreach (var (keyNode, valueNode) in mapping.Children)
        {
            var name = (keyNode as YamlScalarNode)?.Value ?? string.Empty;
            var itemPath = NodeReader.Join(path, name);
            var value = valueNode is YamlScalarNode scalar ? scalar.Value ?? string.Empty : null;
            if (value is null)
            {
                reader.Error(itemPath, "expected a string value");
                continue;
            }

            if (request && IsAuthorityHeader(name))
            {
                if (authority is not null)
                {
                    reader.Error(itemPath, $"authority header cannot be set multiple times: have \"{authority}\", attempting to set \"{value}\"");
                }
                else if (ValueProblem("host", value) is { } authorityProblem)
                {
                    reader.Error(itemPath, authorityProblem);
                }
                else
                {
                    authority = value;
                }

                continue;
            }

            // ValidateHTTPHeaderWithAuthorityOperationName (request) / ValidateHTTPHeaderOperationName (response).
            if ((NameProblem(name, allowAuthority: request) ?? ValueProblem(name, value)) is { } problem)
            {
                reader.Error(itemPath, problem);
                continue;
            }

            if (value.Contains('%', StringComparison.Ordinal))
            {
                if (HasCommandOperator(value))
                {
                    reader.Warning(itemPath, "Envoy command operators (%VARIABLE%) are not supported; this header is not set");
                    continue;
                }

                value = value.Replace("%%", "%", StringComparison.Ordinal);
            }

            result.Add(new(name, value));
        }

        return result;
    }

    private static bool IsAuthorityHeader(string name) =>
        name.Equals("host", StringComparison.OrdinalIgnoreCase) || name.Equals(":authority", StringComparison.OrdinalIgnoreCase);

    private static string? NameProblem(string name, bool allowAuthority)
    {
        if (name.Length == 0)
        {
            return "header name cannot be empty";
        }

        if (!allowAuthority && name.Equals("host", StringComparison.OrdinalIgnoreCase))
        {
            return $"invalid header \"{name}\": cannot set Host header";
        }

        if (name.StartsWith(':'))
        {
            return $"invalid header \"{name}\": header cannot have \":\" prefix";
        }

        return HeaderOperations.Problem(name, string.Empty);
    }

    /// <summary>
    /// A header value as Istio's ValidateHTTPHeaderValue accepts it: no control characters but tab, and every
    /// <c>%</c> either doubled (a literal %) or opening a <c>%VARIABLE%</c> that is closed.
    /// </summary>
    private static string? ValueProblem(string name, string value)
    {
        if (HeaderOperations.Problem(name, value) is { } problem)
        {
            return problem;
        }

        foreach (var c in value)
        {
            if (c is (< ' ' and not '\t') or '\x7f')
            {
                return $"header value for \"{name}\" must not contain control characters";
            }
        }

        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] != '%')
            {
                continue;
            }

            if (i + 1 < value.Length && value[i + 1] == '%')
            {
                i++;
                continue;
            }

            var close = value.IndexOf('%', i + 1);
            if (close < 0)
            {
                return $"header value for \"{name}\" has an un-escaped %; write %% for a literal %";
            }

            i = close;
        }

        return null;
    }

    /// <summary>Whether a valid value holds a <c>%VARIABLE%</c> (an un-doubled %).</summary>
    private static bool HasCommandOperator(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == '%')
            {
                if (i + 1 < value.Length && value[i + 1] == '%')
                {
                    i++;
                    continue;
                }

                return true;
            }
        }

        return false;
    }
}
