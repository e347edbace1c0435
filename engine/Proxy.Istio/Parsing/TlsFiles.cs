using Proxy.Istio.Loading;

namespace Proxy.Istio.Parsing;

/// <summary>Certificate file fields: Istio treats an empty string as unset; relative paths are relative to the YAML
/// file that names them (or the current directory for YAML given as text).</summary>
internal static class TlsFiles
{
    public static string? ReadPath(NodeReader reader, Fields fields, string key)
    {
        var value = reader.String(fields[key], fields.PathOf(key));
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        var baseDirectory = reader.Location.BaseDirectory ?? Environment.CurrentDirectory;
        return Path.GetFullPath(value, baseDirectory);
    }

    /// <summary>
    /// <c>credentialName</c>: a Kubernetes secret name, read from the credentials directory, optionally written with
    /// Istio's <c>kubernetes://</c> prefix. Other schemes and anything that is not a DNS subdomain name (so never a
    /// path such as <c>../x</c>) are errors.
    /// </summary>
    public static string? ReadCredentialName(NodeReader reader, Fields fields, string key = "credentialName")
    {
        var path = fields.PathOf(key);
        var value = reader.String(fields[key], path);
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        const string KubernetesScheme = "kubernetes://";
        var name = value.StartsWith(KubernetesScheme, StringComparison.Ordinal) ? value[KubernetesScheme.Length..] : value;
        if (name.Contains("://", StringComparison.Ordinal))
        {
            reader.Error(path, $"credential \"{value}\" is not supported: only secret names (optionally kubernetes://NAME) are read from the credentials directory");
            return null;
        }

        if (!IsSecretName(name))
        {
            reader.Error(path, $"invalid credential name \"{value}\"; expected a Kubernetes secret name (lower-case letters, digits, '-' and '.')");
            return null;
        }

        return name;
    }

    /// <summary>RFC 1123 subdomain, as Kubernetes requires of secret names.</summary>
    private static bool IsSecretName(string name) =>
        name.Length is > 0 and <= 253 &&
        name.Split('.').All(static label => HostsValidation.IsDns1123Label(label));
}
