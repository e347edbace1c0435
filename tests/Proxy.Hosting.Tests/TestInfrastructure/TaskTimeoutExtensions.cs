namespace Proxy.Hosting.Tests.TestInfrastructure;

internal static class TaskTimeoutExtensions
{
    private static readonly TimeSpan DefaultTimeoutSpan = TimeSpan.FromSeconds(10);

    public static Task DefaultTimeout(this Task task) => task.WaitAsync(DefaultTimeoutSpan);

    public static Task<T> DefaultTimeout<T>(this Task<T> task) => task.WaitAsync(DefaultTimeoutSpan);

    public static Task<T> DefaultTimeout<T>(this ValueTask<T> task) => task.AsTask().WaitAsync(DefaultTimeoutSpan);

    public static Task DefaultTimeout(this ValueTask task) => task.AsTask().WaitAsync(DefaultTimeoutSpan);
}
