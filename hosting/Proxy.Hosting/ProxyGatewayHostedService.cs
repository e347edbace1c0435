using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Proxy.Hosting;

/// <summary>
/// Runs a <see cref="ProxyGateway"/> with a .NET host: started in <see cref="StartAsync"/>, drained in
/// <see cref="StopAsync"/> (bounded by the drain timeout and by the host's shutdown timeout, whichever fires first).
/// Registered by <see cref="ProxyGatewayServiceCollectionExtensions.AddProxyGateway"/>; resolve it to reach the
/// running <see cref="Gateway"/>.
/// </summary>
public sealed class ProxyGatewayHostedService : IHostedService, IAsyncDisposable
{
    private readonly ProxyGatewayOptions _options;

    /// <summary>Creates the service; <paramref name="loggerFactory"/> and <paramref name="timeProvider"/> fill options left unset.</summary>
    public ProxyGatewayHostedService(ProxyGatewayOptions options, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.LoggerFactory ??= loggerFactory;
        options.TimeProvider ??= timeProvider;
        _options = options;
    }

    /// <summary>The running gateway; null before the host starts and after it stops.</summary>
    public ProxyGateway? Gateway { get; private set; }

    /// <inheritdoc/>
    /// <exception cref="ProxyGatewayConfigurationException">The configuration is invalid; the host fails to start.</exception>
    public async Task StartAsync(CancellationToken cancellationToken)
        => Gateway = await ProxyGateway.StartAsync(_options, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc/>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Gateway is { } gateway)
        {
            await gateway.StopAsync(cancellationToken).ConfigureAwait(false);
            await gateway.DisposeAsync().ConfigureAwait(false);
            Gateway = null;
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (Gateway is { } gateway)
        {
            await gateway.DisposeAsync().ConfigureAwait(false);
            Gateway = null;
        }
    }
}
