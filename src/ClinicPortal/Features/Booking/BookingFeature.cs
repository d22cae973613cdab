using ClinicPortal.Features.Webhooks;
using NodaTime;

namespace ClinicPortal.Features.Booking;

public static class BookingFeature
{
    /// <summary>The one booking path (voice agent and staff) and the voice agent's availability, booking, cancel and reschedule tools.</summary>
    public static IServiceCollection AddBooking(this IServiceCollection s)
    {
        s.AddSingleton<IClock>(SystemClock.Instance);
        s.AddSingleton(TimeProvider.System);
        s.AddSingleton<CatalogueCache>();
        s.AddSingleton<Booker>();
        s.AddSingleton<ITool, CheckAvailabilityTool>();
        s.AddSingleton<ITool, BookAppointmentTool>();
        s.AddSingleton<ITool, CancelAppointmentTool>();
        s.AddSingleton<ITool, RescheduleAppointmentTool>();
        return s;
    }
}
