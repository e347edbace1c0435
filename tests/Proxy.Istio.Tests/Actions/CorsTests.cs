using System.Text;
using Proxy.Engine.Routing;
using static Proxy.Istio.Tests.Actions.ActionYaml;

namespace Proxy.Istio.Tests.Actions;

/// <summary>
/// CorsPolicy (virtual_service.proto), validated as Istio's validateCORSPolicy does and translated as route.go
/// TranslateCORSPolicy does: lists joined with ",", max age in seconds.
/// </summary>
public sealed class CorsTests
{
    private static bool Allows(CorsPolicy policy, string origin) =>
        policy.AllowOrigins.Any(m => m.Matches(Encoding.UTF8.GetBytes(origin)));

    // The proto's example policy.
    [Fact]
    public void Build_CorsPolicy_AllFields()
    {
        var cors = Route(ToV1("""
                corsPolicy:
                  allowOrigins: [{exact: "https://example.com"}]
                  allowMethods: [POST, GET]
                  allowCredentials: false
                  allowHeaders: [X-Foo-Bar]
                  exposeHeaders: [X-Total, X-Page]
                  maxAge: "24h"
            """)).Cors!;

        Assert.True(Allows(cors, "https://example.com"));
        Assert.False(Allows(cors, "https://example.com.evil"));
        Assert.Equal("POST,GET", cors.AllowMethods);
        Assert.Equal("X-Foo-Bar", cors.AllowHeaders);
        Assert.Equal("X-Total,X-Page", cors.ExposeHeaders);
        Assert.Equal(TimeSpan.FromHours(24), cors.MaxAge);
        Assert.False(cors.AllowCredentials);

        // unmatchedPreflights: "Default is forward to upstream."
        Assert.True(cors.ForwardUnmatchedPreflights);
    }

    // allowOrigins: "An origin is allowed if any of the string matchers match"; regexes are full-string (Envoy safe_regex).
    [Fact]
    public void Build_AllowOriginsPrefixAndRegex_Match()
    {
        var cors = Route(ToV1("    corsPolicy: {allowOrigins: [{prefix: \"https://app.\"}, {regex: \"https://.*\\\\.example\\\\.org\"}], allowCredentials: true}")).Cors!;

        Assert.True(Allows(cors, "https://app.example.com"));
        Assert.True(Allows(cors, "https://a.example.org"));
        Assert.False(Allows(cors, "https://a.example.org.evil"));
        Assert.False(Allows(cors, "http://app.example.com"));
        Assert.True(cors.AllowCredentials);
        Assert.Null(cors.AllowMethods);
        Assert.Null(cors.MaxAge);
    }

    // Envoy's CORS filter allows an origin when a matcher matches "*" (cors_filter.cc isOriginAllowed), so
    // exact "*" allows every origin.
    [Fact]
    public void Build_AllowOriginStar_AllowsAnyOrigin()
    {
        var cors = Route(ToV1("    corsPolicy: {allowOrigins: [{exact: \"*\"}]}")).Cors!;

        Assert.True(Allows(cors, "https://anything.example"));
    }

    // unmatchedPreflights IGNORE: "Preflight requests not matching the configured allowed origin will not be
    // forwarded to the upstream."
    [Fact]
    public void Build_UnmatchedPreflightsIgnore_NotForwarded()
    {
        Assert.False(Route(ToV1("    corsPolicy: {allowOrigins: [{exact: \"https://a\"}], unmatchedPreflights: IGNORE}")).Cors!.ForwardUnmatchedPreflights);
    }

    // TranslateCORSPolicy: the deprecated allowOrigin (exact strings) is used only when allowOrigins is empty.
    [Fact]
    public void Build_DeprecatedAllowOrigin_ExactMatchesWithWarning()
    {
        var http = ToV1("    corsPolicy: {allowOrigin: [\"https://old.example\"]}");

        var cors = Route(http).Cors!;

        Assert.True(Allows(cors, "https://old.example"));
        Assert.False(Allows(cors, "https://old.example.com"));
        Assert.Equal(["spec.http[0].corsPolicy.allowOrigin: deprecated; use allowOrigins"], Warnings(http));
    }

    [Fact]
    public void Build_AllowOriginsAndDeprecatedAllowOrigin_AllowOriginsWin()
    {
        var cors = Route(ToV1("    corsPolicy: {allowOrigins: [{exact: \"https://new\"}], allowOrigin: [\"https://old\"]}")).Cors!;

        Assert.True(Allows(cors, "https://new"));
        Assert.False(Allows(cors, "https://old"));
    }

    // validateCORSPolicy: validateAllowOrigins, validateCORSHTTPMethod, ValidateCORSHTTPHeaderName, and max age
    // "accurate only to seconds precision".
    [Theory]
    [InlineData("    corsPolicy: {allowMethods: [GET, FETCH]}", "spec.http[0].corsPolicy.allowMethods[1]: \"FETCH\" is not a supported HTTP method")]
    [InlineData("    corsPolicy: {allowHeaders: [\"x ok\"]}", "spec.http[0].corsPolicy.allowHeaders[0]: header name \"x ok\" is not an HTTP token (RFC 9110 5.1)")]
    [InlineData("    corsPolicy: {exposeHeaders: [\"a:b\"]}", "spec.http[0].corsPolicy.exposeHeaders[0]: header name \"a:b\" is not an HTTP token (RFC 9110 5.1)")]
    [InlineData("    corsPolicy: {maxAge: 1.5s}", "spec.http[0].corsPolicy.maxAge: max_age duration is accurate only to seconds precision")]
    [InlineData("    corsPolicy: {allowOrigins: [{exact: \"\"}]}", "spec.http[0].corsPolicy.allowOrigins[0]: an empty string is not a valid CORS origin match")]
    [InlineData("    corsPolicy: {allowOrigins: [{regex: \"(\"}]}", "spec.http[0].corsPolicy.allowOrigins[0].regex: invalid regex \"(\": Invalid pattern '(' at offset 1. Not enough )'s.")]
    [InlineData("    corsPolicy: {unmatchedPreflights: DROP}", "spec.http[0].corsPolicy.unmatchedPreflights: invalid value \"DROP\"; expected one of UNSPECIFIED, FORWARD, IGNORE")]
    public void Build_InvalidCorsPolicy_Error(string fields, string expected)
    {
        Assert.Equal(expected, Error(ToV1(fields)));
    }

    // "allowMethods: [*]" and "allowHeaders: [*]" are accepted (Envoy echoes the request's).
    [Fact]
    public void Build_WildcardMethodsAndHeaders_Kept()
    {
        var cors = Route(ToV1("    corsPolicy: {allowOrigins: [{exact: \"https://a\"}], allowMethods: [\"*\"], allowHeaders: [\"*\"]}")).Cors!;

        Assert.Equal(("*", "*"), (cors.AllowMethods, cors.AllowHeaders));
    }
}
