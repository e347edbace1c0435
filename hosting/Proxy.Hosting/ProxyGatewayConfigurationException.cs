using Proxy.Istio;

namespace Proxy.Hosting;

/// <summary>The configuration given to <see cref="ProxyGateway"/> is invalid; <see cref="Errors"/> lists every problem found.</summary>
public sealed class ProxyGatewayConfigurationException : Exception
{
    /// <summary>Creates the exception from the errors a build reported.</summary>
    public ProxyGatewayConfigurationException(IReadOnlyList<ConfigError> errors)
        : base(FormatMessage(errors))
    {
        Errors = errors;
    }

    /// <summary>Creates an exception without errors.</summary>
    public ProxyGatewayConfigurationException()
        : this([])
    {
    }

    /// <summary>Creates an exception without errors.</summary>
    public ProxyGatewayConfigurationException(string message)
        : base(message)
    {
        Errors = [];
    }

    /// <summary>Creates an exception without errors.</summary>
    public ProxyGatewayConfigurationException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [];
    }

    /// <summary>Every configuration error, each printable in DESIGN.md's <c>file[i] Kind ns/name: field: message</c> form.</summary>
    public IReadOnlyList<ConfigError> Errors { get; }

    private static string FormatMessage(IReadOnlyList<ConfigError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        return errors.Count == 0
            ? "The configuration is invalid."
            : $"The configuration is invalid ({errors.Count} error(s)):{Environment.NewLine}{string.Join(Environment.NewLine, errors)}";
    }
}
