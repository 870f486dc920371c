package shop.cart;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.util.List;
import javax.servlet.http.HttpServlet;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;

public class CartServlet extends HttpServlet {

    @Override
    protected void doPost(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        List<?> items;
        try (ObjectInputStream in = new ObjectInputStream(req.getInputStream())) {
            items = (List<?>) in.readObject();
        } catch (ClassNotFoundException e) {
            resp.sendError(400, "unknown cart format");
            return;
        }
        resp.setContentType("application/json");
        resp.getWriter().write("{\"items\": " + items.size() + "}");
    }
}
