using ClinicPortal.Features.Appointments;
using ClinicPortal.Features.Dashboard;
using ClinicPortal.Features.Providers;
using ClinicPortal.Features.Settings;

namespace ClinicPortal.Features.Staff;

public static class StaffPages
{
    /// <summary>The stores behind the staff pages that have no other feature registration: dashboard, appointments, providers, settings.</summary>
    public static IServiceCollection AddStaffPages(this IServiceCollection s)
    {
        s.AddSingleton<DashboardStore>();
        s.AddSingleton<AppointmentStore>();
        s.AddSingleton<ProviderStore>();
        s.AddSingleton<ClinicSettingsStore>();
        return s;
    }
}
