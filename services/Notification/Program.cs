using Accountability.Notification;
using Accountability.ServiceDefaults;

var builder = AccountabilityWebApplication.CreateBuilder(args);
builder.AddServiceDefaults("notification");
builder.AddNotification();

var app = builder.Build();
app.UseServiceDefaults();
app.MapNotificationEndpoints();

app.Run();
