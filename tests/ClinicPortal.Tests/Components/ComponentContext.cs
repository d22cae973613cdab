using System.Security.Claims;
using Bunit;
using ClinicPortal.Features.Appointments;
using ClinicPortal.Features.Booking;
using ClinicPortal.Features.Dashboard;
using ClinicPortal.Features.Events;
using ClinicPortal.Features.Staff;
using ClinicPortal.Infrastructure.Database;
using ClinicPortal.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NodaTime;
using MudBlazor.Services;

namespace ClinicPortal.Tests.Components;

/// <summary>A bUnit context with the portal's real stores on the test database, signed in to one test clinic.</summary>
public static class ComponentContext
{
    public static BunitContext For(ClinicPortalFactory portal, TestClinic clinic, string role = "staff", ClinicEventBus? bus = null)
    {
        // The suite runs in parallel on two cores: a render that takes over bUnit's default second is slow, not wrong.
        BunitContext.DefaultWaitTimeout = TimeSpan.FromSeconds(10);
        var ctx = new BunitContext();
        ctx.JSInterop.Mode = JSRuntimeMode.Loose;
        var s = ctx.Services;
        s.AddMudServices();
        s.AddSingleton(ClinicData.NewDataSource(portal.Database.AppConnectionString));
        s.AddPooledDbContextFactory<ClinicData>((sp, o) => ClinicData.Configure(o, sp.GetRequiredService<NpgsqlDataSource>()));
        s.AddSingleton<ClinicDb>();
        s.AddSingleton<IClock>(SystemClock.Instance);
        s.AddSingleton<CommitSignal>();
        s.AddSingleton(bus ?? new ClinicEventBus(NullLogger<ClinicEventBus>.Instance));
        s.AddSingleton<ClinicPortal.Features.Operations.ClinicMetrics>();
        s.AddSingleton<DashboardStore>();
        s.AddSingleton<ClinicPortal.Features.Latency.LatencyStore>();
        s.AddSingleton<AppointmentStore>();
        s.AddSingleton<CatalogueCache>();
        s.AddSingleton<Booker>();
        s.AddSingleton(portal.Services.GetRequiredService<ClinicPortal.Features.Messages.LinkTokens>()); // the portal's link key
        s.AddSingleton(new ClinicPortal.Features.Messages.SmsTexts(new ConfigurationBuilder().Build()));
        s.AddSingleton(new ClinicPortal.Features.Privacy.NoteProtector(new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Notes:Keys:test1"] = TestDatabase.NotesKey }).Build()));
        s.AddSingleton<ClinicPortal.Features.Privacy.DataKeys>();
        s.AddSingleton<ClinicPortal.Features.Privacy.AppointmentNotes>();
        s.AddSingleton<ClinicPortal.Features.Calls.CallStore>();
        s.AddSingleton<ClinicPortal.Features.Patients.PatientRecords>();
        s.AddSingleton<ClinicPortal.Features.Alerts.AlertStore>();
        s.AddSingleton<ClinicPortal.Features.Analytics.AnalyticsStore>();
        s.AddSingleton(portal.Services.GetRequiredService<ClinicPortal.Features.Alerts.AlertMonitor>());
        var auth = ctx.AddAuthorization();
        auth.SetAuthorized("Component Tester");
        auth.SetRoles(role);
        auth.SetClaims(
            new Claim(ClaimTypes.NameIdentifier, Guid.NewGuid().ToString()),
            new Claim(ClaimTypes.Email, "tester@example.com"),
            new Claim(StaffClaims.ClinicId, clinic.Id.ToString()),
            new Claim(StaffClaims.ClinicSlug, clinic.Slug),
            new Claim(StaffClaims.ClinicName, "Test clinic " + clinic.Slug),
            new Claim(StaffClaims.TimeZone, "Europe/London"));
        return ctx;
    }
}
