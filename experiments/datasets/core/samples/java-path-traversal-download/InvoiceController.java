package shop.billing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

@RestController
public class InvoiceController {
    private static final Path INVOICE_DIR = Paths.get("/var/lib/shop/invoices");

    @GetMapping("/api/invoices/download")
    public ResponseEntity<byte[]> download(@RequestParam("name") String name) throws IOException {
        Path invoice = INVOICE_DIR.resolve(name);
        if (!Files.isRegularFile(invoice)) {
            return ResponseEntity.notFound().build();
        }
        byte[] content = Files.readAllBytes(invoice);
        return ResponseEntity.ok().contentType(MediaType.APPLICATION_PDF).body(content);
    }
}
