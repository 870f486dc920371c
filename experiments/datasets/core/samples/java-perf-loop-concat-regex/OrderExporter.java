package shop.reports;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public class OrderExporter {

    public record Order(String id, String customerEmail, long totalCents) {
    }

    public String toCsv(List<Order> orders) {
        String csv = "id,email_domain,total\n";
        for (Order order : orders) {
            Pattern domain = Pattern.compile("@([A-Za-z0-9.-]+)$");
            Matcher matcher = domain.matcher(order.customerEmail());
            String host = matcher.find() ? matcher.group(1) : "";
            csv += order.id() + "," + host + "," + order.totalCents() / 100.0 + "\n";
        }
        return csv;
    }
}
