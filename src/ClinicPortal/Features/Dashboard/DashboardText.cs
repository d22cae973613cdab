using ClinicPortal.Features.Events;

namespace ClinicPortal.Features.Dashboard;

/// <summary>How the dashboard's feeds word an event.</summary>
public static class DashboardText
{
    public static string Title(ClinicEvent e) => e.Kind switch
    {
        EventKinds.Booking => "Booked", EventKinds.Cancellation => "Cancelled", EventKinds.Reschedule => "Rescheduled", EventKinds.Collision => "Collision",
        EventKinds.Status when e.Appointment.Status is { Length: > 0 } s => char.ToUpperInvariant(s[0]) + s[1..].Replace('_', ' '),
        _ => e.Kind,
    };

    public static string Source(ClinicEvent e) => e.Appointment.Source switch
    {
        "staff" => "by staff", "patient" => "by the patient (text message link)", _ => "by phone",
    };
}
