namespace Proxy.Istio.Tests.Loading;

public class YamlDocumentReaderTests
{
    [Fact]
    public void Build_ErrorInThirdDocument_IndexCountsFromZero()
    {
        var yaml = TestConfig.Docs(TestConfig.Gateway, TestConfig.Backend, """
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata: {name: broken}
            spec: {}
            """);

        // Backend holds two documents (ServiceEntry, DestinationRule), so the broken Gateway is document 3.
        Assert.Equal(["test.yaml[3] Gateway default/broken: spec.servers: at least one server is required"], TestConfig.Errors(yaml));
    }

    [Fact]
    public void Build_SyntaxError_NamesDocumentAndLineAndOtherDocumentsStillChecked()
    {
        var yaml = """
            # leading comment, not a document
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata: {name: a}
            spec: {}
            ---
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata: {name: [unclosed
            """;

        var errors = TestConfig.Errors(yaml);

        Assert.Equal(2, errors.Length);
        Assert.Equal("test.yaml[0] Gateway default/a: spec.servers: at least one server is required", errors[0]);
        Assert.StartsWith("test.yaml[1]: YAML syntax error at line 10, column ", errors[1]);
    }

    [Fact]
    public void Build_EmptyAndCommentOnlyDocuments_SkippedButCounted()
    {
        var yaml = "# header\n---\n---\n# only a comment\n---\n" + TestConfig.Gateway.Replace("namespace: default", "namespace: bad_ns", StringComparison.Ordinal);

        Assert.Equal(["test.yaml[2] Gateway bad_ns/gw: metadata.namespace: \"bad_ns\" is not a valid namespace name"], TestConfig.Errors(yaml));
    }

    [Fact]
    public void Build_DuplicateKey_SyntaxError()
    {
        var errors = TestConfig.Errors("apiVersion: networking.istio.io/v1\nkind: Gateway\nkind: Gateway\n");

        var error = Assert.Single(errors);
        Assert.StartsWith("test.yaml[0]: YAML syntax error at line 3", error);
    }
}
