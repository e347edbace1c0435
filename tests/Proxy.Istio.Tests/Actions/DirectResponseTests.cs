using System.Text;
using static Proxy.Istio.Tests.Actions.ActionYaml;

namespace Proxy.Istio.Tests.Actions;

/// <summary>HTTPDirectResponse (virtual_service.proto) as Istio validates (validateHTTPDirectResponse) and translates it.</summary>
public sealed class DirectResponseTests
{
    // "status: Specifies the HTTP response status to be returned"; body.string is sent as is.
    [Fact]
    public void Build_DirectResponseString_StatusAndBody()
    {
        var route = Route("  - directResponse: {status: 503, body: {string: unknown error}}");

        Assert.Equal(503, route.DirectResponse!.StatusCode);
        Assert.Equal("unknown error", Encoding.UTF8.GetString(route.DirectResponse.Body.Span));
        Assert.Empty(route.Destinations);
        Assert.Null(route.Redirect);
    }

    // "bytes: response body as base64 encoded bytes" (the proto's example: "dW5rbm93biBlcnJvcg==" is "unknown error").
    [Fact]
    public void Build_DirectResponseBytes_Base64Decoded()
    {
        var route = Route("  - directResponse: {status: 503, body: {bytes: dW5rbm93biBlcnJvcg==}}");

        Assert.Equal("unknown error", Encoding.UTF8.GetString(route.DirectResponse!.Body.Span));
    }

    // "If this setting is omitted, no body is included in the generated response."
    [Fact]
    public void Build_DirectResponseWithoutBody_EmptyBody()
    {
        Assert.True(Route("  - directResponse: {status: 204}").DirectResponse!.Body.IsEmpty);
    }

    // The proto suggests headers with a direct response "for example to specify the returned Content-Type".
    [Fact]
    public void Build_DirectResponseWithResponseHeaders_HeadersOnTheRoute()
    {
        var route = Route("""
              - directResponse: {status: 503, body: {string: "{}"}}
                headers: {response: {set: {content-type: application/json}}}
            """);

        Assert.Equal([new("content-type", "application/json")], route.ResponseHeaders!.Set);
    }

    // validateHTTPDirectResponse: bodies over 100 KiB are warned about, over 1 MiB refused.
    [Fact]
    public void Build_LargeBody_Warning()
    {
        var body = new string('a', 100 * 1024 + 1);

        Assert.Equal([$"spec.http[0].directResponse.body: the body is {body.Length} bytes; Istio warns that large direct responses are costly to distribute"],
            Warnings($"  - directResponse: {{status: 200, body: {{string: {body}}}}}"));
    }

    [Fact]
    public void Build_BodyOverOneMebibyte_Error()
    {
        var body = new string('a', 1024 * 1024 + 1);

        Assert.Equal($"spec.http[0].directResponse.body: the body is {body.Length} bytes; Istio allows at most 1 MiB",
            Error($"  - directResponse: {{status: 200, body: {{string: {body}}}}}"));
    }

    // validateHTTPStatus ("not in range 200-599"); Envoy's direct_response status is [200, 600).
    [Theory]
    [InlineData("  - directResponse: {status: 600}", "spec.http[0].directResponse.status: HTTP status 600 is not in range 200-599")]
    [InlineData("  - directResponse: {status: 199}", "spec.http[0].directResponse.status: HTTP status 199 is not in range 200-599")]
    [InlineData("  - directResponse: {body: {string: x}}", "spec.http[0].directResponse.status: is required")]
    [InlineData("  - directResponse: {status: 200, body: {string: a, bytes: YQ==}}", "spec.http[0].directResponse.body: exactly one of string and bytes is required")]
    [InlineData("  - directResponse: {status: 200, body: {bytes: \"not base64!\"}}", "spec.http[0].directResponse.body.bytes: is not valid base64")]
    [InlineData("  - directResponse: {status: 200}\n    fault: {delay: {fixedDelay: 1s, percentage: {value: 1}}}", "spec.http[0].fault: cannot be combined with directResponse, which answers without forwarding")]
    [InlineData("  - directResponse: {status: 200}\n    rewrite: {authority: a}", "spec.http[0].rewrite: cannot be combined with directResponse, which answers without forwarding")]
    [InlineData("  - directResponse: {status: 200}\n    redirect: {uri: /a}", "spec.http[0]: only one of route, redirect, directResponse or delegate may be set (found redirect, directResponse)")]
    public void Build_InvalidDirectResponse_Error(string http, string expected)
    {
        Assert.Equal(expected, Error(http));
    }
}
