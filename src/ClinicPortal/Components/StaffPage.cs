using ClinicPortal.Shared;
using System.Security.Claims;
using ClinicPortal.Features.Booking;
using ClinicPortal.Features.Events;
using ClinicPortal.Features.Staff;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;

namespace ClinicPortal.Components;

/// <summary>
/// The base of every staff page: the signed-in person and clinic, clinic-local times, and live updates. A page
/// that wants the clinic's events overrides OnClinicEventAsync; it is subscribed once the circuit is connected
/// (not while prerendering), each event runs on the page's renderer, and errors go to the error boundary.
/// </summary>
public abstract class StaffPage : ComponentBase, IDisposable
{
    [CascadingParameter] private Task<AuthenticationState> AuthState { get; set; } = default!;
    [Inject] private ClinicEventBus Bus { get; set; } = default!;

    private IDisposable? _subscription;

    protected ClaimsPrincipal User { get; private set; } = new();
    protected Guid Clinic => User.Clinic();
    protected string TimeZone => User.ClinicTimeZone();
    protected string Actor => User.Actor();

    protected sealed override async Task OnInitializedAsync()
    {
        User = (await AuthState).User;
        await LoadAsync();
    }

    /// <summary>The page's first load (and what a live page reloads).</summary>
    protected virtual Task LoadAsync() => Task.CompletedTask;

    /// <summary>Whether the page follows the clinic's events live (then OnClinicEventAsync gets each one).</summary>
    protected virtual bool Live => false;

    /// <summary>One committed event of this clinic; the page re-renders after it.</summary>
    protected virtual Task OnClinicEventAsync(ClinicEvent e) => Task.CompletedTask;

    /// <summary>Runs once the subscription is live: a page catches up on what committed since its first load.</summary>
    protected virtual Task OnSubscribedAsync() => Task.CompletedTask;

    /// <summary>A UTC instant as clinic-local text.</summary>
    protected string Local(DateTime? utc, string format = "ddd d MMM HH:mm") => utc is { } t ? ClinicTime.Display(t, TimeZone, format) : "";

    protected override void OnAfterRender(bool firstRender)
    {
        if (!firstRender || !Live || _subscription is not null) return;
        _subscription = Bus.Subscribe(Clinic, e => InvokeAsync(() => Guarded(() => OnClinicEventAsync(e))));
        _ = InvokeAsync(() => Guarded(OnSubscribedAsync));
    }

    private async Task Guarded(Func<Task> work)
    {
        try
        {
            await work();
            StateHasChanged();
        }
        catch (Exception ex)
        {
            await DispatchExceptionAsync(ex);
        }
    }

    public virtual void Dispose()
    {
        _subscription?.Dispose();
        GC.SuppressFinalize(this);
    }
}
