using Proxy.Engine.Routing;
using System.Text;
using Proxy.Istio.Model;
using Proxy.Istio.Routing;

namespace Proxy.Istio.Compilation;

/// <summary>Turns validated match config into allocation-free runtime matchers.</summary>
internal static class MatcherCompiler
{
    public static RequestMatcher Compile(HttpMatchConfig match) => new()
    {
        Uri = Compile(match.Uri, match.IgnoreUriCase),
        Scheme = Compile(match.Scheme, ignoreCase: false),
        Method = Compile(match.Method, ignoreCase: false),
        Authority = Compile(match.Authority, ignoreCase: false),
        Headers = [.. match.Headers.Select(Compile)],
        WithoutHeaders = [.. match.WithoutHeaders.Select(Compile)],
        QueryParams = [.. match.QueryParams.Select(Compile)],
    };

    private static KeyValueCondition Compile(KeyValueMatchConfig condition) =>
        new(Encoding.UTF8.GetBytes(condition.Name), Compile(condition.Match, ignoreCase: false) ?? ValueMatcher.Any);

    private static ValueMatcher? Compile(StringMatchConfig? match, bool ignoreCase) => match?.Kind switch
    {
        null => null,
        StringMatchKind.Exact => ValueMatcher.Exact(match.Value, ignoreCase),
        StringMatchKind.Prefix => ValueMatcher.Prefix(match.Value, ignoreCase),
        _ => ValueMatcher.FromRegex(match.Regex!),
    };
}
