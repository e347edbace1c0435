using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Proxy.Hosting;

/// <summary>Adds a gateway to a .NET host.</summary>
public static class ProxyGatewayServiceCollectionExtensions
{
    /// <summary>
    /// Registers a <see cref="ProxyGatewayHostedService"/> that starts the gateway with the host and drains it on
    /// shutdown. The host's <see cref="ILoggerFactory"/> and <see cref="TimeProvider"/> (if registered) are used
    /// unless <paramref name="configure"/> sets them.
    /// </summary>
    public static IServiceCollection AddProxyGateway(this IServiceCollection services, Action<ProxyGatewayOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddSingleton(provider =>
        {
            var options = new ProxyGatewayOptions();
            configure(options);
            return new ProxyGatewayHostedService(options, provider.GetService<ILoggerFactory>(), provider.GetService<TimeProvider>());
        });
        services.AddSingleton<IHostedService>(static provider => provider.GetRequiredService<ProxyGatewayHostedService>());
        return services;
    }
}
