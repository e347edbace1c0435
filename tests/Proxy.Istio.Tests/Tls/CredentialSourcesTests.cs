using Proxy.Istio.Tls;

namespace Proxy.Istio.Tests.Tls;

public sealed class CredentialSourcesTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private CredentialSources Sources(string? directory = "creds") =>
        new(directory is null ? null : _dir.PathOf(directory), TimeProvider.System);

    [Fact]
    public void TryResolve_TlsSecretLayout_CertificateKeyAndCa()
    {
        _dir.WriteCredential("creds/shop");

        Assert.True(Sources().TryResolve("shop", certificate: true, CredentialUse.Required, out var files, out var error), error);

        Assert.Equal(new PemFiles(_dir.PathOf("creds/shop/tls.crt"), _dir.PathOf("creds/shop/tls.key"), _dir.PathOf("creds/shop/ca.crt")), files);
    }

    [Fact]
    public void TryResolve_CaIgnored_NotIncludedEvenIfPresent()
    {
        _dir.WriteCredential("creds/shop");

        Assert.True(Sources().TryResolve("shop", certificate: true, CredentialUse.Ignored, out var files, out _));

        Assert.Null(files.CertificateAuthorities);
    }

    [Fact]
    public void TryResolve_CaOptionalAndAbsent_NoCa()
    {
        _dir.WriteCredential("creds/shop", caName: null);

        Assert.True(Sources().TryResolve("shop", certificate: true, CredentialUse.Optional, out var files, out _));

        Assert.Null(files.CertificateAuthorities);
    }

    [Fact]
    public void TryResolve_OnlySeparateCaSecret_CaOnlyCredential()
    {
        _dir.Write("creds/upstream-cacert/cacert", TestCertificates.CreateCa().CertificatePem);

        Assert.True(Sources().TryResolve("upstream", certificate: false, CredentialUse.Required, out var files, out var error), error);

        Assert.Equal(new PemFiles(null, null, _dir.PathOf("creds/upstream-cacert/cacert")), files);
    }

    [Fact]
    public void TryResolve_NoKey_ErrorNamesBothCandidates()
    {
        _dir.WriteCredential("creds/shop");
        File.Delete(_dir.PathOf("creds/shop/tls.key"));

        Assert.False(Sources().TryResolve("shop", certificate: true, CredentialUse.Ignored, out _, out var error));

        Assert.Equal($"credential \"shop\" has no private key: neither \"{_dir.PathOf("creds/shop/tls.key")}\" nor \"{_dir.PathOf("creds/shop/key")}\" exists", error);
    }

    [Fact]
    public void TryResolve_RelativeCredentialsDirectory_MadeAbsolute()
    {
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, _dir.PathOf("creds"));
        _dir.WriteCredential("creds/shop");

        Assert.True(new CredentialSources(relative, TimeProvider.System).TryResolve("shop", true, CredentialUse.Ignored, out var files, out _));

        Assert.Equal(_dir.PathOf("creds/shop/tls.crt"), files.CertificateChain);
    }

    [Fact]
    public void TryGet_SameFiles_SameSourceAndSameError()
    {
        _dir.WriteCredential("creds/shop");
        var sources = Sources();
        var files = new PemFiles(_dir.PathOf("creds/shop/tls.crt"), _dir.PathOf("creds/shop/tls.key"), null);
        var missing = files with { CertificateAuthorities = _dir.PathOf("missing.pem") };

        Assert.True(sources.TryGet(files, out var first, out _));
        Assert.True(sources.TryGet(files with { }, out var second, out _));
        Assert.Same(first, second);
        Assert.False(sources.TryGet(missing, out _, out var error1));
        Assert.False(sources.TryGet(missing, out _, out var error2));
        Assert.Same(error1, error2);
    }
}
