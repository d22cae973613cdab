using System.Collections.Concurrent;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.AspNetCore.SignalR;

namespace ClinicPortal.Features.Staff;

/// <summary>
/// Open pages lose access when access ends: each circuit checks its session every minute (Staff:RevalidateSeconds) against
/// the database (StaffClaims.Ended). When it is over, the page shows sign-in, and the person's hub connections close.
/// </summary>
public sealed class StaffRevalidation(ILoggerFactory logs, StaffAccounts accounts, StaffConnections connections, IConfiguration config)
    : RevalidatingServerAuthenticationStateProvider(logs)
{
    protected override TimeSpan RevalidationInterval => StaffConnections.Interval(config);

    protected override async Task<bool> ValidateAuthenticationStateAsync(AuthenticationState state, CancellationToken ct)
    {
        var user = state.User;
        if (user.Identity?.IsAuthenticated != true) return true;
        StaffAccess? access;
        try
        {
            access = await accounts.AccessAsync(user.UserId(), ct);
        }
        catch (Exception e) when (e is OperationCanceledException or Npgsql.NpgsqlException)
        {
            // The page closed meanwhile, or the database is down: nothing is decided now; the next round checks again
            // (every request checks too, so a session cannot outlive its access by more than that).
            return true;
        }
        if (user.Ended(access, DateTimeOffset.UtcNow) is not { } why) return true;
        connections.Close(user.UserId(), why);
        return false;
    }
}

/// <summary>
/// The hub connections staff hold open (/hubs/events, for wallboards and integrations). A cookie checked at connect time
/// would otherwise keep streaming after access ends: they are checked on the same schedule and closed when it does.
/// </summary>
public sealed class StaffConnections(StaffAccounts accounts, IConfiguration config, ILogger<StaffConnections> log) : BackgroundService
{
    private readonly ConcurrentDictionary<string, HubCallerContext> _open = new();

    public static TimeSpan Interval(IConfiguration config) => TimeSpan.FromSeconds(config.GetValue("Staff:RevalidateSeconds", 60.0));

    public void Opened(HubCallerContext connection) => _open[connection.ConnectionId] = connection;

    public void Closed(string connectionId) => _open.TryRemove(connectionId, out _);

    /// <summary>Closes every hub connection of the person.</summary>
    public void Close(Guid user, string why)
    {
        foreach (var (id, connection) in _open)
        {
            if (connection.User?.UserId() != user) continue;
            log.LogInformation("Closing hub connection {Connection} of user {User}: {Why}", id, user, why);
            connection.Abort();
            _open.TryRemove(id, out _);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(Interval(config));
        while (await timer.WaitForNextTickAsync(stop))
        {
            foreach (var user in _open.Values.Select(c => c.User!).DistinctBy(u => u.UserId()).ToList())
            {
                try
                {
                    var access = await accounts.AccessAsync(user.UserId(), stop);
                    foreach (var connection in _open.Values.Where(c => c.User!.UserId() == user.UserId()).ToList())
                        if (connection.User!.Ended(access, DateTimeOffset.UtcNow) is { } why)
                        {
                            log.LogInformation("Closing hub connection {Connection}: {Why}", connection.ConnectionId, why);
                            connection.Abort();
                            Closed(connection.ConnectionId);
                        }
                }
                catch (Npgsql.NpgsqlException e)
                {
                    log.LogWarning(e, "Could not check the hub connections of user {User}; trying again at the next round", user.UserId());
                }
            }
        }
    }
}
