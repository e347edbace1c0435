using System.Diagnostics.CodeAnalysis;

namespace Proxy.Istio.Tls;

/// <summary>
/// The credential sources of one build: one <see cref="PemFileCredentialSource"/> per distinct set of files, however
/// many Gateway servers and DestinationRules name them, and the lookup of <c>credentialName</c> in the credentials
/// directory.
/// </summary>
internal sealed class CredentialSources
{
    private readonly Dictionary<PemFiles, (PemFileCredentialSource? Source, PemLoadError? Error)> _sources = [];
    private readonly string? _credentialsDirectory;
    private readonly TimeProvider _timeProvider;

    public CredentialSources(string? credentialsDirectory, TimeProvider timeProvider)
    {
        _credentialsDirectory = string.IsNullOrEmpty(credentialsDirectory) ? null : Path.GetFullPath(credentialsDirectory);
        _timeProvider = timeProvider;
    }

    /// <summary>The source for these files, loaded once per build; a load error is returned to every caller.</summary>
    public bool TryGet(PemFiles files, [NotNullWhen(true)] out PemFileCredentialSource? source, [NotNullWhen(false)] out PemLoadError? error)
    {
        if (!_sources.TryGetValue(files, out var entry))
        {
            entry = PemFileCredentialSource.TryCreate(files, _timeProvider, out var created, out var loadError)
                ? (created, null)
                : (null, loadError);
            _sources.Add(files, entry);
        }

        source = entry.Source;
        error = entry.Error;
        return source is not null;
    }

    /// <summary>
    /// Finds the files of credential <paramref name="name"/> the way Istio reads a Kubernetes secret: DIR/NAME/tls.crt
    /// and tls.key (or the generic <c>cert</c> and <c>key</c>), and the CA in <c>ca.crt</c> or <c>cacert</c> of DIR/NAME
    /// or of the separate DIR/NAME-cacert. <paramref name="certificate"/> says whether the certificate and key are
    /// needed (not for SIMPLE origination); <paramref name="authorities"/> whether the CA bundle is ignored, used
    /// when present, or required.
    /// </summary>
    public bool TryResolve(string name, bool certificate, CredentialUse authorities, [NotNullWhen(true)] out PemFiles? files, [NotNullWhen(false)] out string? error)
    {
        files = null;
        if (_credentialsDirectory is null)
        {
            error = $"credential \"{name}\" cannot be read: no credentials directory is configured (--credentials-dir)";
            return false;
        }

        var directory = Path.Combine(_credentialsDirectory, name);
        var caDirectory = Path.Combine(_credentialsDirectory, name + "-cacert");
        if (!Directory.Exists(directory) && !(!certificate && Directory.Exists(caDirectory)))
        {
            error = $"credential \"{name}\" not found: no directory \"{directory}\"";
            return false;
        }

        string? chain = null;
        string? key = null;
        if (certificate)
        {
            chain = FirstExisting(Path.Combine(directory, "tls.crt"), Path.Combine(directory, "cert"));
            key = FirstExisting(Path.Combine(directory, "tls.key"), Path.Combine(directory, "key"));
            if (chain is null || key is null)
            {
                var (what, first, second) = chain is null ? ("certificate", "tls.crt", "cert") : ("private key", "tls.key", "key");
                error = $"credential \"{name}\" has no {what}: neither \"{Path.Combine(directory, first)}\" nor \"{Path.Combine(directory, second)}\" exists";
                return false;
            }
        }

        string[] caCandidates =
        [
            Path.Combine(directory, "ca.crt"), Path.Combine(directory, "cacert"),
            Path.Combine(caDirectory, "ca.crt"), Path.Combine(caDirectory, "cacert"),
        ];
        var ca = authorities == CredentialUse.Ignored ? null : FirstExisting(caCandidates);
        if (authorities == CredentialUse.Required && ca is null)
        {
            error = $"credential \"{name}\" has no CA certificates: none of {string.Join(", ", caCandidates.Select(static c => $"\"{c}\""))} exists";
            return false;
        }

        files = new PemFiles(chain, key, ca);
        error = null;
        return true;
    }

    private static string? FirstExisting(params ReadOnlySpan<string> paths)
    {
        foreach (var path in paths)
        {
            // File.Exists follows symlinks, as a mounted secret's keys are.
            if (File.Exists(path))
            {
                return path;
            }
        }

        return null;
    }
}

/// <summary>Whether a part of a credential is ignored, used when present, or required.</summary>
internal enum CredentialUse
{
    Ignored,
    Optional,
    Required,
}
