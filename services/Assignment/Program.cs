using Accountability.Assignment;
using Accountability.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults("assignment");
builder.AddAssignment();

var app = builder.Build();
app.UseServiceDefaults();
app.MapAssignmentEndpoints();

app.Run();
