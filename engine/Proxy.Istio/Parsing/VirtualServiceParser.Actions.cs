using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Proxy.Engine.Routing;
using Proxy.Istio.Loading;
using Proxy.Istio.Model;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Proxy.Istio.Parsing;

/// <summary>HTTPRoute actions: redirect, directResponse, delegate, rewrite and mirrors, and the percentages and
/// durations they share with fault injection.</summary>
internal static partial class VirtualServiceParser
{
    /// <summary>The redirect codes Istio translates (route.go ApplyRedirect); any other 3xx leaves Envoy's route without an action.</summary>
    private static readonly int[] RedirectCodes = [301, 302, 303, 307, 308];

    /// <summary>Istio's limit on a direct response body (validateHTTPDirectResponse, and the route config's
    /// max_direct_response_body_size_bytes istiod sets); bodies above 100 KiB are accepted with a warning.</summary>
    private const int MaxDirectResponseBody = 1024 * 1024;

    private const int LargeDirectResponseBody = 100 * 1024;

    /// <summary>Istio validateStringRegexp: longer regexes are refused (an approximation of RE2's program size limit).</summary>
    private const int MaxRegexLength = 1024;

    /// <summary>
    /// HTTPRedirect, checked as Istio's validateHTTPRedirect: something to change, <c>uri</c> xor
    /// <c>prefixRewrite</c> (which needs prefix uri matches), a 3xx code Envoy supports, scheme http or https.
    /// </summary>
    private static RedirectConfig? ParseRedirect(YamlNode? node, string path, List<HttpMatchConfig> matches, NodeReader reader)
    {
        var errors = reader.ErrorCount;
        var fields = reader.Mapping(node, path, ["uri", "authority", "port", "derivePort", "scheme", "redirectCode", "prefixRewrite"]);
        if (fields is null)
        {
            return null;
        }

        var uri = UrlPart(fields, "uri", reader);
        var authority = UrlPart(fields, "authority", reader);
        var prefixRewrite = UrlPart(fields, "prefixRewrite", reader);
        var port = reader.Int(fields["port"], fields.PathOf("port"), 0, 65535);
        var derive = reader.Enum(fields["derivePort"], fields.PathOf("derivePort"), ["FROM_PROTOCOL_DEFAULT", "FROM_REQUEST_PORT"]) switch
        {
            "FROM_PROTOCOL_DEFAULT" => RedirectPortSelection.FromProtocolDefault,
            "FROM_REQUEST_PORT" => RedirectPortSelection.FromRequestPort,
            _ => (RedirectPortSelection?)null,
        };
        var scheme = reader.String(fields["scheme"], fields.PathOf("scheme"));
        var code = reader.Int(fields["redirectCode"], fields.PathOf("redirectCode"), 0, int.MaxValue) ?? 0;

        if (fields.Has("port") && fields.Has("derivePort"))
        {
            reader.Error(fields.PathOf("derivePort"), "only one of port and derivePort may be set");
        }

        if (uri is not null && prefixRewrite is not null)
        {
            reader.Error(fields.PathOf("prefixRewrite"), "only one of uri and prefixRewrite may be set");
        }

        // "The route match must use a prefix match type": Envoy swaps the matched prefix, which an exact or regex
        // match does not have.
        if (prefixRewrite is not null && matches.Any(static m => m.Uri is { Kind: not StringMatchKind.Prefix }))
        {
            reader.Error(fields.PathOf("prefixRewrite"), "needs every uri match of the route to be a prefix match");
        }

        // An empty string is unset, as in Istio; a field already reported as invalid is not reported again here.
        if (reader.ErrorCount == errors && uri is null && prefixRewrite is null && authority is null && !fields.Has("port") && !fields.Has("derivePort") && string.IsNullOrEmpty(scheme))
        {
            reader.Error(path, "must set uri, prefixRewrite, authority, scheme, port or derivePort");
        }

        if (code == 0)
        {
            // "The default response code is MOVED_PERMANENTLY (301)."
            code = 301;
        }
        else if (code is < 300 or > 399)
        {
            reader.Error(fields.PathOf("redirectCode"), $"{code} is not a valid redirect code, must be 3xx");
        }
        else if (Array.IndexOf(RedirectCodes, code) < 0)
        {
            reader.Error(fields.PathOf("redirectCode"), $"redirect code {code} is not supported by Envoy; use 301, 302, 303, 307 or 308");
        }

        if (!string.IsNullOrEmpty(scheme) && scheme is not ("http" or "https"))
        {
            reader.Error(fields.PathOf("scheme"), $"invalid redirect scheme \"{scheme}\"; must be http or https");
        }

        return reader.ErrorCount > errors
            ? null
            : new RedirectConfig(uri, authority, fields.Has("port") ? port : null, derive, string.IsNullOrEmpty(scheme) ? null : scheme, code, prefixRewrite);
    }

    /// <summary>HTTPDirectResponse: a status Envoy can send (200 to 599) and an optional body, string or base64 bytes.</summary>
    private static DirectResponseAction? ParseDirectResponse(YamlNode? node, string path, NodeReader reader)
    {
        var fields = reader.Mapping(node, path, ["status", "body"]);
        if (fields is null)
        {
            return null;
        }

        if (!fields.Has("status"))
        {
            reader.Error(fields.PathOf("status"), "is required");
            return null;
        }

        var status = reader.Int(fields["status"], fields.PathOf("status"), 0, int.MaxValue);
        if (status is < 200 or > 599)
        {
            reader.Error(fields.PathOf("status"), $"HTTP status {status} is not in range 200-599");
            return null;
        }

        var valid = true;
        var body = fields.Has("body") ? ParseBody(fields["body"], fields.PathOf("body"), reader, out valid) : [];
        return status is { } code && valid ? new DirectResponseAction(code, body) : null;
    }

    private static byte[] ParseBody(YamlNode? node, string path, NodeReader reader, out bool valid)
    {
        valid = false;
        var fields = reader.Mapping(node, path, ["string", "bytes"]);
        if (fields is null)
        {
            return [];
        }

        if (fields.Has("string") == fields.Has("bytes"))
        {
            reader.Error(path, "exactly one of string and bytes is required");
            return [];
        }

        byte[] body;
        if (fields.Has("string"))
        {
            var text = reader.String(fields["string"], fields.PathOf("string"));
            if (text is null)
            {
                return [];
            }

            body = Encoding.UTF8.GetBytes(text);
        }
        else
        {
            var encoded = reader.String(fields["bytes"], fields.PathOf("bytes"));
            if (encoded is null)
            {
                return [];
            }

            try
            {
                body = Convert.FromBase64String(encoded);
            }
            catch (FormatException)
            {
                reader.Error(fields.PathOf("bytes"), "is not valid base64");
                return [];
            }
        }

        if (body.Length > MaxDirectResponseBody)
        {
            reader.Error(path, $"the body is {body.Length} bytes; Istio allows at most 1 MiB");
            return [];
        }

        if (body.Length > LargeDirectResponseBody)
        {
            reader.Warning(path, $"the body is {body.Length} bytes; Istio warns that large direct responses are costly to distribute");
        }

        valid = true;
        return body;
    }

    /// <summary>Delegate: <c>name</c>, and <c>namespace</c> defaulting to the root VirtualService's.</summary>
    private static DelegateRef? ParseDelegate(IstioObjectMeta meta, YamlNode? node, string path, NodeReader reader)
    {
        var fields = reader.Mapping(node, path, ["name", "namespace"]);
        if (fields is null)
        {
            return null;
        }

        var name = reader.String(fields["name"], fields.PathOf("name"));
        var ns = reader.String(fields["namespace"], fields.PathOf("namespace"));
        if (string.IsNullOrEmpty(name))
        {
            reader.Error(fields.PathOf("name"), "is required");
            return null;
        }

        if (!string.IsNullOrEmpty(ns) && !HostsValidation.IsDns1123Label(ns))
        {
            reader.Error(fields.PathOf("namespace"), $"\"{ns}\" is not a valid namespace name");
            return null;
        }

        return new DelegateRef(string.IsNullOrEmpty(ns) ? meta.Namespace : ns, name);
    }

    /// <summary>HTTPRewrite, checked as Istio's validateHTTPRewrite and validateURIRegexRewrite.</summary>
    private static RewriteConfig? ParseRewrite(YamlNode? node, string path, NodeReader reader)
    {
        var errors = reader.ErrorCount;
        var fields = reader.Mapping(node, path, ["uri", "authority", "uriRegexRewrite"]);
        if (fields is null)
        {
            return null;
        }

        var uri = UrlPart(fields, "uri", reader);
        var authority = UrlPart(fields, "authority", reader);
        PathRewrite? regexRewrite = null;
        if (fields.Has("uriRegexRewrite"))
        {
            if (uri is not null)
            {
                reader.Error(path, "only one of uri and uriRegexRewrite may be set");
            }

            regexRewrite = ParseRegexRewrite(fields["uriRegexRewrite"], fields.PathOf("uriRegexRewrite"), reader);
        }
        else if (reader.ErrorCount == errors && uri is null && authority is null)
        {
            reader.Error(path, "must set uri, uriRegexRewrite or authority");
        }

        return reader.ErrorCount > errors ? null : new RewriteConfig(uri, authority, regexRewrite);
    }

    /// <summary>
    /// RegexRewrite: Envoy's regex_rewrite replaces every match of <c>match</c> in the path (not anchored, unlike a
    /// route's regex match) with <c>rewrite</c>, where <c>\1</c> names a group.
    /// </summary>
    private static PathRewrite? ParseRegexRewrite(YamlNode? node, string path, NodeReader reader)
    {
        var fields = reader.Mapping(node, path, ["match", "rewrite"]);
        if (fields is null)
        {
            return null;
        }

        var pattern = reader.String(fields["match"], fields.PathOf("match"));
        var rewrite = reader.String(fields["rewrite"], fields.PathOf("rewrite"));
        if (string.IsNullOrEmpty(pattern) || string.IsNullOrEmpty(rewrite))
        {
            reader.Error(path, "both match and rewrite are required");
            return null;
        }

        if (pattern.Length > MaxRegexLength)
        {
            reader.Error(fields.PathOf("match"), $"regex is too large, max length allowed is {MaxRegexLength}");
            return null;
        }

        if (HeaderOperations.Problem("path", rewrite) is not null)
        {
            reader.Error(fields.PathOf("rewrite"), "must not contain CR, LF or NUL");
            return null;
        }

        var regex = CompileUnanchoredRegex(pattern, fields.PathOf("match"), reader);
        return regex is null ? null : PathRewrite.ReplaceRegex(regex, rewrite);
    }

    /// <summary>A regex that finds matches anywhere (no <c>^...$</c>), with the RE2-like options route matches use.</summary>
    private static Regex? CompileUnanchoredRegex(string pattern, string path, NodeReader reader)
    {
        try
        {
            return RegexCache.GetOrCreate("u:" + pattern, () => new Regex(pattern, RegexOptions.NonBacktracking | RegexOptions.CultureInvariant));
        }
        catch (ArgumentException ex)
        {
            reader.Error(path, $"invalid regex \"{pattern}\": {ex.Message}");
        }
        catch (NotSupportedException ex)
        {
            reader.Error(path, $"invalid regex \"{pattern}\" (RE2 syntax has no backreferences, lookarounds or atomic groups): {ex.Message}");
        }

        return null;
    }

    /// <summary><c>mirror</c>: a Destination, sent the route's mirror percentage of requests.</summary>
    private static MirrorConfig? ParseMirror(IstioObjectMeta meta, Fields route, NodeReader reader)
    {
        var path = route.PathOf("mirror");
        var destination = ParseDestinationFields(0, route["mirror"], path, reader);
        return destination is null ? null : new MirrorConfig(meta, path, destination, null);
    }

    /// <summary><c>mirrors</c>: HTTPMirrorPolicy items, each a required destination and an optional percentage.</summary>
    private static List<MirrorConfig> ParseMirrors(IstioObjectMeta meta, YamlNode? node, string path, NodeReader reader)
    {
        var result = new List<MirrorConfig>();
        var items = reader.Sequence(node, path);
        for (var i = 0; i < (items?.Count ?? 0); i++)
        {
            var (itemNode, itemPath) = items![i];
            var fields = reader.Mapping(itemNode, itemPath, ["destination", "percentage"]);
            if (fields is null)
            {
                reader.Error(itemPath, "must not be null");
                continue;
            }

            var destination = ParseDestinationFields(i, fields["destination"], fields.PathOf("destination"), reader);
            var percentage = fields.Has("percentage") ? ReadPercent(fields["percentage"], fields.PathOf("percentage"), reader, fault: false) : null;
            if (destination is not null && (percentage is not null || !fields.Has("percentage")))
            {
                result.Add(new MirrorConfig(meta, fields.PathOf("destination"), destination, percentage));
            }
        }

        return result;
    }

    private static double? ParseMirrorPercentage(YamlNode? node, string path, NodeReader reader) =>
        ReadPercent(node, path, reader, fault: false);

    /// <summary>The deprecated <c>mirrorPercent</c> (CRD alternative name <c>mirror_percent</c>): an integer up to 100.</summary>
    private static int? ParseMirrorPercent(Fields route, NodeReader reader)
    {
        if (route.Has("mirrorPercent") && route.Has("mirror_percent"))
        {
            reader.Error(route.PathOf("mirror_percent"), "only one of mirrorPercent and mirror_percent may be set");
            return null;
        }

        var key = route.Has("mirrorPercent") ? "mirrorPercent" : "mirror_percent";
        if (!route.Has(key))
        {
            return null;
        }

        var value = reader.Int(route[key], route.PathOf(key), 0, int.MaxValue);
        if (value > 100)
        {
            reader.Error(route.PathOf(key), $"must have a max value of 100 (it has {value})");
            return null;
        }

        reader.Warning(route.PathOf(key), "deprecated; use mirrorPercentage");
        return value;
    }

    /// <summary>
    /// A Percent (<c>{value: 12.5}</c>). Mirror percentages are in [0, 100] (Istio validateHTTPRoute); fault
    /// percentages are 0 or in [0.0001, 100] (validatePercentage), Envoy's per-million resolution.
    /// </summary>
    private static double? ReadPercent(YamlNode? node, string path, NodeReader reader, bool fault)
    {
        var fields = reader.Mapping(node, path, ["value"]);
        if (fields is null)
        {
            return null;
        }

        var valuePath = fields.PathOf("value");
        var value = fields.Has("value") ? ReadDouble(fields["value"], valuePath, reader) : 0;
        if (value is not { } v)
        {
            return null;
        }

        if (v is < 0 or > 100 || (fault && v is > 0 and < 0.0001))
        {
            reader.Error(valuePath, fault
                ? $"percentage {v.ToString(CultureInfo.InvariantCulture)} is neither 0.0, nor in range [0.0001, 100.0]"
                : $"percentage {v.ToString(CultureInfo.InvariantCulture)} is not in range [0, 100]");
            return null;
        }

        return v;
    }

    private static double? ReadDouble(YamlNode? node, string path, NodeReader reader)
    {
        if (node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any, Value: { } text } &&
            double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value))
        {
            return value;
        }

        reader.Error(path, "expected a number");
        return null;
    }

    /// <summary>
    /// <c>http[].timeout</c>: "Timeout for HTTP requests, default is disabled" (virtual_service.proto). Istio's
    /// validateHTTPRoute checks it with ValidateDuration (at least 1 ms, whole milliseconds). <c>0s</c> is what users
    /// write to disable it (Envoy: a route timeout of 0 disables it); Istio's webhook rejects it, so it is accepted
    /// here with a warning and kept as <see cref="TimeSpan.Zero"/>, which overrides a delegate root's timeout.
    /// </summary>
    private static TimeSpan? ParseRouteTimeout(YamlNode? node, string path, NodeReader reader)
    {
        // Peeked without the reader, so a wrong type is reported once, by reader.Duration.
        if (node is YamlScalarNode { Value: { } text } && DurationParser.TryParse(text, out var value) && value == TimeSpan.Zero)
        {
            reader.Warning(path, "0s disables the route timeout (Istio's default); istiod's validation would reject it, so omit the field instead");
            return TimeSpan.Zero;
        }

        return reader.Duration(node, path);
    }

    /// <summary>
    /// A string that Envoy writes into a request or a Location header (redirect uri/authority/prefixRewrite, rewrite
    /// uri/authority): Envoy's config validation refuses CR, LF and NUL in these. Empty means unset, as in Istio.
    /// </summary>
    private static string? UrlPart(Fields fields, string key, NodeReader reader)
    {
        var value = reader.String(fields[key], fields.PathOf(key));
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        if (HeaderOperations.Problem(key, value) is not null)
        {
            reader.Error(fields.PathOf(key), "must not contain CR, LF or NUL");
            return null;
        }

        return value;
    }
}
