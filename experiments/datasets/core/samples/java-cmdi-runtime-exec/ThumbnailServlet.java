package shop.media;

import java.io.IOException;
import javax.servlet.http.HttpServlet;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;

public class ThumbnailServlet extends HttpServlet {
    private static final String MEDIA_DIR = "/var/lib/shop/media/";

    @Override
    protected void doPost(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String image = req.getParameter("image");
        String size = req.getParameter("size");
        String command = "convert " + MEDIA_DIR + image + " -resize " + size + " " + MEDIA_DIR + "thumb_" + image;
        Process process = Runtime.getRuntime().exec(new String[] {"/bin/sh", "-c", command});
        try {
            int exit = process.waitFor();
            resp.setStatus(exit == 0 ? 204 : 500);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            resp.setStatus(503);
        }
    }
}
