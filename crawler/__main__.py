from crawler.run import main

main()
